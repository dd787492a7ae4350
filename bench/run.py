"""One command for the core benchmarks: ``.venv/bin/python -m bench.run``.

Starts a real ``ordertrail serve`` process on an embedded store of ``--parcels`` parcels (five events each),
then measures, in the same run and on the same server:

- bare Starlette GET and bare POST (parses the same JSON as a scan) — the HTTP baselines;
- (a) single-scan ingest, 64 concurrent clients, synchronous=FULL: scans/s, p50, p99 (ratio to bare POST);
- (b) batch ingest, 1,000 scans a request: scans/s (ratio to a bare SQLite batch insert of the same rows);
- (c) tracking lookups of random parcels: lookups/s, p50, p99 (ratio to bare GET).

Prints a Markdown table (paste it into docs/benchmarks.md) and writes bench/results/latest.json.

``--database-url postgresql://USER@HOST/DB`` runs the same measures on PostgreSQL instead: the store is a copy
of a cached bulk-loaded database (``bench/bulk_load_pg.py``, COPY), and (b) is compared with a bare asyncpg
batch insert of the same rows (executemany, and COPY), one transaction per 1,000 rows, synchronous_commit on.
The URL names an existing database to connect to for creating the benchmark's own databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import wrk
from bench.bulk_load import bulk_load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
STORE_FORMAT = 5  # bump when bench/bulk_load.py changes what it writes: cached stores of older formats are rebuilt


def start_server(
    data_dir: Path,
    port: int,
    database_url: str | None = None,
    *,
    estimates: bool = True,
    binary: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ORDERTRAIL_ESTIMATES": "true" if estimates else "false",
        **({"ORDERTRAIL_DATABASE_URL": database_url} if database_url else {}),
        "ORDERTRAIL_DATA_DIR": str(data_dir),
        "ORDERTRAIL_PORT": str(port),
        "ORDERTRAIL_BENCH_BASELINE_ROUTES": "true",
        "ORDERTRAIL_PUBLIC_RATE_LIMIT": "0",
        "ORDERTRAIL_SQLITE_SYNCHRONOUS": "FULL",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [str(binary or BIN / "ordertrail"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured_ingest(
    server: subprocess.Popen[bytes], base: str, scan_script: str, *, connections: int, seconds: int
) -> tuple[wrk.WrkResult, float]:
    """Single-scan ingest with wrk, and the server's CPU seconds per scan over the same run.

    Unlike scans/s, CPU per scan hardly depends on what else the machine runs.
    """
    cpu_before = server_cpu_s(server.pid)
    ingest = wrk.run(base, script=scan_script, connections=connections, seconds=seconds)
    return ingest, (server_cpu_s(server.pid) - cpu_before) / max(ingest.requests, 1)


def scan_script_for(numbers: list[str], scanner_key: str) -> str:
    """The wrk script that posts single hub scans of random parcels of ``numbers``."""
    return wrk.SCAN_SCRIPT % {"numbers": wrk.lua_list(numbers), "path": "/api/v1/scans", "token": scanner_key}


def cli(data_dir: Path, *args: str, database_url: str | None = None, binary: Path | None = None) -> str:
    env = {**os.environ, "ORDERTRAIL_DATA_DIR": str(data_dir)}
    if database_url:
        env["ORDERTRAIL_DATABASE_URL"] = database_url
    command = [str(binary or BIN / "ordertrail"), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def prepared_store(parcels: int) -> tuple[Path, list[str]]:
    """A copy of a cached bulk-loaded store (built once per size and day) and a sample of its tracking numbers."""
    cached = CACHE / f"store-v{STORE_FORMAT}-{parcels}"
    today = datetime.now(UTC).date().isoformat()
    built = cached / "built-on"
    if not (cached / "ordertrail.db").exists() or not built.exists() or built.read_text() != today:
        print(f"building a store of {parcels:,} parcels and {parcels * 5:,} events (cached in {cached})…", flush=True)
        shutil.rmtree(cached, ignore_errors=True)
        cached.mkdir(parents=True)
        sample = bulk_load(cached / "ordertrail.db", parcels=parcels)
        (cached / "sample.json").write_text(json.dumps(sample))
        built.write_text(today)  # estimate windows and stall deadlines are relative to the day it was built
    work = CACHE / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(cached / "ordertrail.db", work / "ordertrail.db")
    return work, json.loads((cached / "sample.json").read_text())


def prepared_pg_store(admin_url: str, parcels: int) -> tuple[str, list[str]]:
    """A fresh copy of a cached bulk-loaded PostgreSQL database (built once per size) and a sample of numbers."""
    from bench import postgres

    return postgres.prepared_store(admin_url, parcels, CACHE)


def scan_rows(numbers: list[str], count: int, *, status: str = "in_transit") -> list[dict[str, Any]]:
    occurred = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    return [
        {
            "event_id": str(uuid.uuid4()),
            "tracking_number": numbers[i % len(numbers)],
            "status": status,
            "substatus": "in_transit.arrived_at_hub" if status == "in_transit" else None,
            "occurred_at": occurred,
            "location": {"facility": "Hub Leeds", "city": "Leeds", "country": "GB"},
        }
        for i in range(count)
    ]


async def batch_ingest(base: str, token: str, batches: list[list[dict[str, Any]]], concurrency: int) -> float:
    """Post the batches with ``concurrency`` clients; returns scans created per second."""
    bodies = [json.dumps({"scans": batch}).encode() for batch in batches]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    created = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal created
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(
                "/api/v1/scans/batch",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response.raise_for_status()
            created += response.json()["counts"]["created"]

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return created / elapsed


def bare_sqlite_insert(folder: Path, batches: list[list[dict[str, Any]]]) -> float:
    """Rows/s of a bare SQLite batch insert of the same rows: WAL, synchronous=FULL, one commit per 1,000."""
    path = folder / "bare.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(
        "CREATE TABLE scan_event (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, parcel_id INTEGER,"
        " sequence INTEGER, status TEXT, substatus TEXT, occurred_at INTEGER, occurred_offset_minutes INTEGER,"
        " recorded_at INTEGER, facility TEXT, city TEXT, country TEXT, body_hash TEXT)"
    )
    started = time.perf_counter()
    rows = 0
    for batch in batches:
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO scan_event (event_id, parcel_id, sequence, status, substatus, occurred_at,"
            " occurred_offset_minutes, recorded_at, facility, city, country, body_hash)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (s["event_id"], i, i, s["status"], s["substatus"], 1, 0, 1, "Hub Leeds", "Leeds", "GB", "x" * 64)
                for i, s in enumerate(batch)
            ],
        )
        db.execute("COMMIT")
        rows += len(batch)
    elapsed = time.perf_counter() - started
    db.close()
    return rows / elapsed


def commit_latency_ms(folder: Path, commits: int = 200) -> float:
    """Median time of one durable SQLite commit of one row (WAL, synchronous=FULL): the disk's flush cost."""
    path = folder / "flush.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE t (x INTEGER)")
    times = []
    for i in range(commits):
        started = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t VALUES (?)", (i,))
        db.execute("COMMIT")
        times.append(time.perf_counter() - started)
    db.close()
    return sorted(times)[len(times) // 2] * 1000


def batch_only(
    server: subprocess.Popen[bytes],
    base: str,
    scanner: str,
    numbers: list[str],
    count: int,
    database_url: str | None,
    data_dir: Path,
) -> None:
    """(b) alone, with its bare baseline in the same run and the server's CPU per scan (which hardly depends on
    what else the machine runs)."""
    asyncio.run(batch_ingest(base, scanner, [scan_rows(numbers, 1000) for _ in range(2)], concurrency=2))  # warm-up
    batches = [scan_rows(numbers, 1000) for _ in range(count)]
    cpu_before = server_cpu_s(server.pid)
    rate = asyncio.run(batch_ingest(base, scanner, batches, concurrency=2))
    cpu_per_scan = (server_cpu_s(server.pid) - cpu_before) / (count * 1000)
    bare_rows = [scan_rows(numbers, 1000) for _ in range(count)]
    if database_url:
        from bench import postgres

        bare, _ = postgres.bare_inserts(database_url, bare_rows)
    else:
        bare = bare_sqlite_insert(data_dir, bare_rows)
    print(f"| (b) batch ingest, 1,000 a request | {rate:,.0f} scans/s "
          f"| server CPU per scan {cpu_per_scan * 1e6:.1f} µs | bare insert {bare:,.0f} rows/s "
          f"| ratio {rate / bare:.3f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--batches", type=int, default=40, help="batches of 1,000 scans for (b)")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument(
        "--estimates", choices=("on", "off"), default="on", help="delivery estimates in the scan transaction"
    )
    parser.add_argument("--ingest-only", action="store_true", help="measure only bare POST and single-scan ingest (a)")
    parser.add_argument(
        "--batch-only", action="store_true", help="measure only batch ingest (b) and its bare insert baseline"
    )
    parser.add_argument("--database-url", help="postgresql://…: run on PostgreSQL (see above)")
    args = parser.parse_args()

    database_url: str | None = None
    if args.database_url:
        database_url, numbers = prepared_pg_store(args.database_url, args.parcels)
        data_dir = CACHE / "run-pg"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
    else:
        data_dir, numbers = prepared_store(args.parcels)
    server = start_server(data_dir, args.port, database_url, estimates=args.estimates == "on")
    base = f"http://127.0.0.1:{args.port}"
    try:
        scanner = cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench", database_url=database_url)
        scan_script = scan_script_for(numbers, scanner)
        bare_script = scan_script.replace('"/api/v1/scans"', '"/__bench/post"', 1)
        lookup_script = wrk.LOOKUP_SCRIPT % {"numbers": wrk.lua_list(numbers)}
        run = {"connections": args.connections, "seconds": args.seconds}
        if args.ingest_only:
            print(f"estimates {args.estimates}; warming up…", flush=True)
            wrk.run(base, connections=args.connections, seconds=2, script=scan_script)
            bare = wrk.run(base, script=bare_script, **run)
            ingest, cpu_per_scan = measured_ingest(server, base, scan_script, **run)
            print(f"| estimates {args.estimates} | server CPU per scan {cpu_per_scan * 1e6:.0f} µs "
                  f"| bare POST {bare.requests_per_s:,.0f}/s "
                  f"| single-scan ingest {ingest.requests_per_s:,.0f}/s | p50 {ingest.p50_ms:.2f} ms "
                  f"| p99 {ingest.p99_ms:.2f} ms | ratio {ingest.requests_per_s / bare.requests_per_s:.2f} "
                  f"| non-2xx {ingest.errors} |")  # fmt: skip
            return
        if args.batch_only:
            batch_only(server, base, scanner, numbers, args.batches, database_url, data_dir)
            return
        print("warming up…", flush=True)
        wrk.run(f"{base}/__bench/get", connections=args.connections, seconds=2)
        wrk.run(base, connections=args.connections, seconds=2, script=lookup_script)
        print("measuring…", flush=True)
        bare_get = wrk.run(f"{base}/__bench/get", **run)
        lookups = wrk.run(base, script=lookup_script, **run)
        bare_post = wrk.run(base, script=bare_script, **run)
        flush_before = commit_latency_ms(data_dir)
        single = wrk.run(base, script=scan_script, **run)
        flush_after = commit_latency_ms(data_dir)
        batches = [scan_rows(numbers, 1000) for _ in range(args.batches)]
        batch_rate = asyncio.run(batch_ingest(base, scanner, batches, concurrency=2))
        bare_rows = [scan_rows(numbers, 1000) for _ in range(args.batches)]
        if database_url:
            from bench import postgres

            bare_insert, bare_copy = postgres.bare_inserts(database_url, bare_rows)
        else:
            bare_insert, bare_copy = bare_sqlite_insert(data_dir, bare_rows), None
    finally:
        server.terminate()
        server.wait(timeout=30)

    results = {
        "parcels": args.parcels,
        "events": args.parcels * 5,
        "connections": args.connections,
        "bare_get": asdict(bare_get),
        "bare_post": asdict(bare_post),
        "lookups": asdict(lookups),
        "single_scan_ingest": asdict(single),
        "batch_ingest_scans_per_s": batch_rate,
        ("bare_postgresql_executemany_rows_per_s" if database_url else "bare_sqlite_insert_rows_per_s"): bare_insert,
        **({"bare_postgresql_copy_rows_per_s": bare_copy} if bare_copy else {}),
        "durable_commit_ms_p50": [flush_before, flush_after],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("latest-postgresql.json" if database_url else "latest.json")).write_text(json.dumps(results, indent=2))
    bare_name = "bare asyncpg executemany (rows/s)" if database_url else "bare SQLite batch insert (rows/s)"
    rows = [
        ("bare Starlette GET", bare_get.requests_per_s, bare_get, None, None),
        ("(c) tracking lookup", lookups.requests_per_s, lookups, bare_get.requests_per_s, 0.5),
        ("bare POST (parses the scan JSON)", bare_post.requests_per_s, bare_post, None, None),
        ("(a) single-scan ingest, durable", single.requests_per_s, single, bare_post.requests_per_s, 0.5),
        (bare_name, bare_insert, None, None, None),
        ("(b) batch ingest, 1,000 a request", batch_rate, None, bare_insert, 0.4),
    ]
    if bare_copy:
        rows += [
            ("bare asyncpg COPY (rows/s)", bare_copy, None, None, None),
            ("(b) batch ingest, against COPY", batch_rate, None, bare_copy, None),
        ]
    print()
    print(
        f"store: {'PostgreSQL' if database_url else 'SQLite'}, {args.parcels:,} parcels, {args.parcels * 5:,} events;"
        f" {args.connections} connections, {args.seconds} s each"
    )
    print()
    print("| measure | per second | p50 ms | p99 ms | ratio to baseline | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, rate, latency, baseline, target in rows:
        p50 = f"{latency.p50_ms:.2f}" if latency else ""
        p99 = f"{latency.p99_ms:.2f}" if latency else ""
        ratio = f"{rate / baseline:.2f}" if baseline else ""
        goal = f"≥ {target}" if target else ""
        print(f"| {name} | {rate:,.0f} | {p50} | {p99} | {ratio} | {goal} |")
    print(
        f"\ndurable one-row SQLite commit on this disk, p50: {flush_before:.2f} ms before (a),"
        f" {flush_after:.2f} ms after"
    )
    if single.errors or lookups.errors:
        print(f"\nnon-2xx: ingest {single.errors}, lookups {lookups.errors}")


if __name__ == "__main__":
    main()
