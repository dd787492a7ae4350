"""Drive wrk (Debian's HTTP load generator) and read its figures."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# What both scan scripts share: a fresh event id per request, and occurred_at times that move forward.
_SCAN_COMMON = """
local counter = 0
local prefix = ""
local start_ms = 0
-- Seeded from the kernel: two wrk runs (or threads) started in the same second must not repeat event ids.
local function urandom_int()
  local f = io.open("/dev/urandom", "rb")
  local b1, b2, b3, b4 = f:read(4):byte(1, 4)
  f:close()
  return ((b1 * 256 + b2) * 256 + b3) * 128 + (b4 %% 128)
end
local function start_run()
  math.randomseed(urandom_int())
  prefix = string.format("%%08x", urandom_int())
  start_ms = (os.time() - 3 * 3600) * 1000  -- three hours ago, whenever this run starts
end
-- Scans happen one after another, as on a real network: each request a little later than the last, and
-- slower than the wall clock, so a later run never goes back in time.
local function occurred_at()
  local ms = start_ms + math.floor(counter / 4)
  return os.date("!%%Y-%%m-%%dT%%H:%%M:%%S", math.floor(ms / 1000)) .. string.format(".%%03dZ", ms %% 1000)
end
local function next_event_id()
  counter = counter + 1
  return string.format("%%s-%%04x-4%%03x-%%04x-%%012x", prefix, math.random(0, 0xffff), math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), counter)
end
local function post(body)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""

# Builds a scan body per request with a fresh event id, the same way for the real route and the bare POST,
# so both sides pay the same client cost.
SCAN_SCRIPT = (
    """
local numbers = {%(numbers)s}
local path = "%(path)s"
local token = "%(token)s"
"""
    + _SCAN_COMMON
    + """
function init(args)
  start_run()
end
function request()
  local id = next_event_id()
  local n = numbers[math.random(1, #numbers)]
  return post('{"event_id":"' .. id .. '","tracking_number":"' .. n .. '","status":"in_transit",' ..
    '"substatus":"in_transit.arrived_at_hub","occurred_at":"' .. occurred_at() .. '",' ..
    '"location":{"facility":"Hub Leeds","city":"Leeds","country":"GB"}}')
end
"""
)

# Whole journeys instead of hub scans only: each wrk thread takes its share of ``numbers`` (parcels in transit)
# and keeps 256 of them on the move; every request is the next scan of one of those: four more hubs, out for
# delivery, delivered (one scan in six is a delivery). A delivered parcel leaves and the next one takes its
# place. Numbers are used once: give every run its own.
JOURNEY_SCRIPT = (
    """
local numbers = {%(numbers)s}
local path = "/api/v1/scans"
local token = "%(token)s"
local steps = {"in_transit", "in_transit", "in_transit", "in_transit", "out_for_delivery", "delivered"}
local mine, active, progress, next_at = {}, {}, {}, 1
local thread_count = 0
function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end
"""
    + _SCAN_COMMON
    + """
function init(args)
  start_run()
  for i = 1, #numbers do
    if (i - 1) %% %(threads)d == thread_index then mine[#mine + 1] = numbers[i] end
  end
  while #active < 256 and next_at <= #mine do
    active[#active + 1] = mine[next_at]
    next_at = next_at + 1
  end
end
function request()
  local id = next_event_id()
  local slot = math.random(1, #active)
  local n = active[slot]
  local step = (progress[n] or 0) + 1
  progress[n] = step
  if step == #steps then
    if next_at <= #mine then
      active[slot] = mine[next_at]
      next_at = next_at + 1
    else
      error("out of parcels: give the run more numbers")
    end
  end
  return post('{"event_id":"' .. id .. '","tracking_number":"' .. n .. '","status":"' .. steps[step] .. '",' ..
    '"occurred_at":"' .. occurred_at() .. '",' ..
    '"location":{"facility":"Hub Leeds","city":"Leeds","country":"GB"}}')
end
"""
)

LOOKUP_SCRIPT = """
local numbers = {%(numbers)s}
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  return wrk.format("GET", "/api/v1/tracking/" .. numbers[math.random(1, #numbers)])
end
"""

LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TOTAL = re.compile(r"(\d+) requests in")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def run(url: str, *, connections: int, seconds: int, threads: int = 2, script: str | None = None) -> WrkResult:
    """Run wrk against ``url`` and parse requests/s and latency percentiles."""
    with tempfile.TemporaryDirectory() as folder:
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        if script is not None:
            path = Path(folder) / "script.lua"
            path.write_text(script)
            command += ["-s", str(path)]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latencies = {int(p): float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    rate = RATE.search(output)
    total = TOTAL.search(output)
    errors = NON_2XX.search(output)
    assert rate and total, output
    return WrkResult(
        requests_per_s=float(rate.group(1)),
        p50_ms=latencies[50],
        p99_ms=latencies[99],
        requests=int(total.group(1)),
        errors=int(errors.group(1)) if errors else 0,
    )


def lua_list(values: list[str]) -> str:
    return ",".join(f'"{v}"' for v in values)
