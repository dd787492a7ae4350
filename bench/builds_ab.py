"""Two builds of ordertrail (two checkouts, each with its own .venv) measured side by side, in turns.

``.venv/bin/python -m bench.builds_ab --other /path/to/checkout [--parcels 200000] [--turns 8] [--seconds 4]``

Starts ``ordertrail serve`` from this checkout's .venv and from ``--other``'s, each on its own copy of the same
bulk-loaded store (``bench/run.py``), and measures, alternating which build goes first, in short turns:
single-scan ingest (as ``bench.run`` (a)), tracking lookups of random parcels (as (c)) and batch ingest (as
(b)). On a shared machine throughput drifts by 10 % and more over minutes; both builds see the same drift in
neighbouring turns, so the median of the paired ratios is the figure to quote. The server's CPU per request
(user + system, from /proc) is reported too: it moves less with the machine's load than throughput does.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench import wrk
from bench.run import (
    CACHE,
    batch_ingest,
    cli,
    measured_ingest,
    prepared_store,
    scan_rows,
    scan_script_for,
    server_cpu_s,
    start_server,
)

MEASURES = ("ingest", "lookups", "batch")


def measure(server: subprocess.Popen[bytes], base: str, what: str, scripts: dict[str, str], args: argparse.Namespace,
            batches: list[list[dict[str, object]]], key: str) -> tuple[float, float]:  # fmt: skip
    """Requests (or scans) per second and server CPU seconds per request of one turn."""
    if what == "ingest":
        result, cpu = measured_ingest(
            server, base, scripts["ingest"], connections=args.connections, seconds=args.seconds
        )
        return result.requests_per_s, cpu
    if what == "lookups":
        before = server_cpu_s(server.pid)
        result = wrk.run(base, script=scripts["lookups"], connections=args.connections, seconds=args.seconds)
        return result.requests_per_s, (server_cpu_s(server.pid) - before) / max(result.requests, 1)
    before = server_cpu_s(server.pid)
    rate = asyncio.run(batch_ingest(base, key, batches, concurrency=2))
    return rate, (server_cpu_s(server.pid) - before) / (len(batches) * len(batches[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (with its own .venv)")
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--turns", type=int, default=8, help="measured turns per build and measure")
    parser.add_argument("--seconds", type=int, default=4, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--batches", type=int, default=6, help="batches of 1,000 scans per batch turn")
    parser.add_argument("--port", type=int, default=18091, help="the first of two ports")
    parser.add_argument("--measures", default=",".join(MEASURES), help="which of ingest,lookups,batch")
    args = parser.parse_args()
    measures = [m for m in args.measures.split(",") if m]
    builds = {"this": Path(sys.executable).parent, "other": args.other.resolve() / ".venv" / "bin"}
    servers: dict[str, tuple[subprocess.Popen[bytes], str, dict[str, str], str, list[str]]] = {}
    try:
        for offset, (name, bin_dir) in enumerate(builds.items()):
            folder, numbers = prepared_store(args.parcels)
            data_dir = CACHE / f"run-build-{name}"
            shutil.rmtree(data_dir, ignore_errors=True)
            Path(folder).rename(data_dir)
            port = args.port + offset
            server = start_server(data_dir, port, binary=bin_dir / "ordertrail")
            key = cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench", binary=bin_dir / "ordertrail")
            scripts = {
                "ingest": scan_script_for(numbers, key),
                "lookups": wrk.LOOKUP_SCRIPT % {"numbers": wrk.lua_list(numbers)},
            }
            servers[name] = (server, f"http://127.0.0.1:{port}", scripts, key, numbers)
        for _, base, scripts, _, _ in servers.values():  # warm-up
            wrk.run(base, script=scripts["ingest"], connections=args.connections, seconds=2)
            wrk.run(base, script=scripts["lookups"], connections=args.connections, seconds=2)
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        print("| turn | measure | build | per second | server CPU per request |")
        print("|---:|---|---|---:|---:|")
        for turn in range(1, args.turns + 1):
            for what in measures:
                order = ("this", "other") if turn % 2 else ("other", "this")
                for name in order:
                    server, base, scripts, key, numbers = servers[name]
                    batches = [scan_rows(numbers, 1000) for _ in range(args.batches)] if what == "batch" else []
                    rate, cpu = measure(server, base, what, scripts, args, batches, key)
                    runs.setdefault((what, name), []).append((rate, cpu))
                    print(f"| {turn} | {what} | {name} | {rate:,.0f} | {cpu * 1e6:.0f} µs |", flush=True)
    finally:
        for server, *_ in servers.values():
            server.terminate()
            server.wait(timeout=30)
    print("\n| measure | this: per second | other: per second | paired ratio | this: CPU | other: CPU | paired ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for what in measures:
        mine, theirs = runs[(what, "this")], runs[(what, "other")]
        rate = statistics.median(a[0] / b[0] for a, b in zip(mine, theirs, strict=True))
        cpu = statistics.median(a[1] / b[1] for a, b in zip(mine, theirs, strict=True))
        print(
            f"| {what} | {statistics.median(r for r, _ in mine):,.0f} | {statistics.median(r for r, _ in theirs):,.0f}"
            f" | {rate:.3f} | {statistics.median(c for _, c in mine) * 1e6:.0f} µs"
            f" | {statistics.median(c for _, c in theirs) * 1e6:.0f} µs | {cpu:.3f} |"
        )


if __name__ == "__main__":
    main()
