"""The console on a big store: ``.venv/bin/python -m bench.console_load [--parcels 1000000]``.

Issue 18 asks that, on the 1,000,000-parcel store, the overview and a filtered list each answer in under 200 ms
p95 with 8 concurrent staff users while single-scan ingest runs, and that the CSV export of every parcel streams
with flat memory. This starts a real ``ordertrail serve`` on a copy of the bulk-loaded store (``bench.run``'s,
cached), invites an admin through the CLI, signs ``--users`` staff sessions in over HTTP (the invitation and
sign-in forms, CSRF token and all), then, in the same run:

1. alone: each page requested one after another (no other load), p50/p95;
2. under load: wrk posts single scans of random parcels (``--ingest-connections``) while ``--users`` sessions each
   go from the overview to the filtered list and back for ``--seconds``, ``--think`` seconds on each page (a
   person reads it; 0 makes them robots); p50/p95 of each page, and the scans/s ingest kept meanwhile;
3. the CSV export of the whole unfiltered list, read to the end: rows, seconds, and the server's resident memory
   sampled every 20 ms during the export against its resident memory before it (peak RSS), in all and its
   anonymous part (the heap; the rest is the store's file mapped by SQLite's mmap, up to 256 MiB a connection).

Prints a Markdown table and writes ``bench/results/console_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import wrk
from bench.run import RESULTS, cli, prepared_pg_store, prepared_store, scan_script_for, start_server

PASSWORD = "bench console marble 42"  # noqa: S105 (the bench store's own throwaway account)
PAGES = {
    "overview": "/console",
    # A list a support person opens many times a day: one status in one destination country, newest first.
    "filtered list": "/console/parcels?status=in_transit&country=FR",
}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def signed_in_client(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"Origin": base}, timeout=120)
    page = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={"csrf_token": _csrf(page.text), "email": email, "password": PASSWORD, "next": "/console"},
    )
    if answer.status_code != 303:
        raise SystemExit(f"sign-in answered {answer.status_code}: {answer.text[:300]}")
    return client


def accept_invitation(base: str, url: str) -> None:
    path = "/" + url.split("/", 3)[3]
    with httpx.Client(base_url=base, headers={"Origin": base}, timeout=60) as client:
        page = client.get(path)
        token = _csrf(page.text)
        answer = client.post(path, data={"csrf_token": token, "password": PASSWORD, "password_again": PASSWORD})
        if answer.status_code != 303:
            raise SystemExit(f"choosing the password answered {answer.status_code}: {answer.text[:300]}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_get(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return elapsed_ms


def alone(client: httpx.Client, rounds: int) -> dict[str, list[float]]:
    """Each page ``rounds`` times, one request at a time, nothing else running (after one warm-up each)."""
    for path in PAGES.values():
        timed_get(client, path)
    return {name: [timed_get(client, path) for _ in range(rounds)] for name, path in PAGES.items()}


async def staff_loop(
    cookies: httpx.Cookies, base: str, seconds: float, think: float, into: dict[str, list[float]]
) -> None:
    """One person: a page, ``think`` seconds reading it, the next page, until ``seconds`` have passed."""
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, path in PAGES.items():
                started = time.perf_counter()
                answer = await client.get(path)
                if answer.status_code != 200:
                    raise SystemExit(f"{path} answered {answer.status_code}")
                into[name].append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(think)


def under_ingest(
    base: str, sessions: list[httpx.Client], scan_script: str, *, seconds: int, connections: int, think: float
) -> tuple[dict[str, list[float]], wrk.WrkResult]:
    """The staff loops and wrk's single-scan ingest, started together and run for the same ``seconds``."""
    outcome: dict[str, wrk.WrkResult] = {}
    ingest = threading.Thread(
        target=lambda: outcome.setdefault(
            "ingest", wrk.run(base, script=scan_script, connections=connections, seconds=seconds)
        )
    )
    latencies: dict[str, list[float]] = {name: [] for name in PAGES}

    async def staff() -> None:
        await asyncio.gather(*(staff_loop(s.cookies, base, seconds, think, latencies) for s in sessions))

    ingest.start()
    asyncio.run(staff())
    ingest.join()
    return latencies, outcome["ingest"]


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """Resident memory: all of it (VmRSS), or its anonymous part (RssAnon: the heap, without the store's pages
    mapped from the file, which the kernel takes back when it needs them)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise SystemExit(f"no {field}")


def export_all(client: httpx.Client, pid: int, expected_rows: int) -> dict[str, Any]:
    """Reads the unfiltered CSV export to the end while sampling the server's resident memory; also its heap as
    each quarter of ``expected_rows`` has arrived (flat memory: the last quarters add nothing)."""
    before, before_anon = rss_kib(pid), rss_kib(pid, "RssAnon")
    samples: list[tuple[int, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((rss_kib(pid), rss_kib(pid, "RssAnon")))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    rows = -1  # the header line
    size = 0
    with client.stream("GET", "/console/parcels.csv") as answer:
        if answer.status_code != 200:
            raise SystemExit(f"the export answered {answer.status_code}")
        quarters: list[float] = []
        for chunk in answer.iter_bytes():
            rows += chunk.count(b"\n")
            size += len(chunk)
            if rows >= expected_rows * (len(quarters) + 1) / 4:
                quarters.append(round(rss_kib(pid, "RssAnon") / 1024, 1))
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "rows": rows,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(seconds, 1),
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(max((s[0] for s in samples), default=before) / 1024, 1),
        "anon_before_mib": round(before_anon / 1024, 1),
        "anon_peak_mib": round(max((s[1] for s in samples), default=before_anon) / 1024, 1),
        "anon_by_quarter_mib": quarters,
    }


def summary(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
        }
        for name, values in latencies.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--ingest-connections", type=int, default=16)
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds each staff user spends on a page before the next (0: none)"
    )
    parser.add_argument("--rounds", type=int, default=20, help="requests of each page in the quiet measure")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--database-url", help="an existing PostgreSQL database to create the bench store from")
    args = parser.parse_args()

    if args.database_url:
        database_url: str | None
        database_url, numbers = prepared_pg_store(args.database_url, args.parcels)
        data_dir = RESULTS.parent / ".cache" / "console-pg"
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        database_url = None
        data_dir, numbers = prepared_store(args.parcels)
    email = "ops@bench.example"
    invitation = cli(data_dir, "users", "create", "--email", email, "--role", "admin", database_url=database_url)
    scanner = cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench", database_url=database_url)
    server = start_server(data_dir, args.port, database_url)
    base = f"http://127.0.0.1:{args.port}"
    try:
        accept_invitation(base, invitation)
        sessions = [signed_in_client(base, email) for _ in range(args.users)]
        quiet = summary(alone(sessions[0], args.rounds))
        loaded, ingest = under_ingest(
            base,
            sessions,
            scan_script_for(numbers, scanner),
            seconds=args.seconds,
            connections=args.ingest_connections,
            think=args.think,
        )
        export = export_all(sessions[0], server.pid, args.parcels)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "store": "postgresql" if database_url else "sqlite",
        "parcels": args.parcels,
        "users": args.users,
        "think_s": args.think,
        "alone": quiet,
        "under_ingest": summary(loaded),
        "ingest_scans_per_s": round(ingest.requests_per_s),
        "ingest_errors": ingest.errors,
        "export": export,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "console_load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"\nconsole on {args.parcels:,} parcels ({result['store']}), {args.users} staff users"
        f" ({args.think} s on each page)\n"
    )
    print("| page | alone p50 / p95 (ms) | under ingest p50 / p95 (ms) | requests under ingest |")
    print("|---|---:|---:|---:|")
    for name in PAGES:
        q, u = quiet[name], result["under_ingest"][name]
        print(f"| {name} | {q['p50_ms']} / {q['p95_ms']} | {u['p50_ms']} / {u['p95_ms']} | {u['requests']} |")
    print(f"\nsingle-scan ingest meanwhile: {result['ingest_scans_per_s']:,} scans/s, errors {ingest.errors}")
    print(
        f"CSV export: {export['rows']:,} rows, {export['megabytes']} MB in {export['seconds']} s; server RSS "
        f"{export['rss_before_mib']} MiB before, peak {export['rss_peak_mib']} MiB during; of it anonymous (heap) "
        f"{export['anon_before_mib']} MiB before, peak {export['anon_peak_mib']} MiB; heap after each quarter of the "
        f"rows {' / '.join(str(q) for q in export['anon_by_quarter_mib'])} MiB"
    )


if __name__ == "__main__":
    main()
