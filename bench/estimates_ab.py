"""What delivery estimates cost in single-scan ingest throughput: two real servers, measured in turns.

``.venv/bin/python -m bench.estimates_ab --parcels 200000 --turns 12 --seconds 4 [--mix journeys]``

Starts two ``ordertrail serve`` processes on two copies of the same bulk-loaded store (bench/run.py), one with
``ORDERTRAIL_ESTIMATES=true`` and one with ``false``, and then drives single scans with wrk exactly as
``bench.run`` (a) does, at one server and then the other, ``--turns`` times (the order alternates). On a shared
machine the speed drifts by 10 % and more over minutes; measured in short turns, both servers see the same
drift, and the ratio of each pair of neighbouring runs cancels it. Reports scans/s and the server's CPU per
scan of every run, the medians, and the median of the paired ratios (the figure to quote).

``--mix hubs`` (the default) sends hub scans of random parcels, as ``bench.run`` does. ``--mix journeys`` sends
whole journeys (four more hubs, out for delivery, delivered: one scan in six is a delivery, which replays the
parcel's events and teaches the lane statistics), each run on its own parcels, the same ones on both servers.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

from bench import wrk
from bench.run import CACHE, cli, measured_ingest, prepared_store, scan_script_for, server_cpu_s, start_server

JOURNEY_PARCELS = 8000  # parcels a journeys run may use: 48,000 scans, more than a 4 s run sends


def in_transit_numbers(data_dir: Path) -> list[str]:
    """The tracking numbers of the store's parcels in transit, in a fixed order."""
    with sqlite3.connect(data_dir / "ordertrail.db") as db:
        rows = db.execute("SELECT tracking_number FROM parcel WHERE status = 'in_transit' ORDER BY id").fetchall()
    return [number for (number,) in rows]


def journeys_script(numbers: list[str], key: str, run: int) -> str:
    """The wrk script of journeys run ``run``: parcels no other run uses."""
    chosen = numbers[run * JOURNEY_PARCELS : (run + 1) * JOURNEY_PARCELS]
    if len(chosen) < JOURNEY_PARCELS:
        raise SystemExit("not enough parcels in the store for this many turns: use fewer, or a larger store")
    return wrk.JOURNEY_SCRIPT % {"numbers": wrk.lua_list(chosen), "token": key, "threads": 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--turns", type=int, default=12, help="measured runs per server")
    parser.add_argument("--seconds", type=int, default=4, help="duration of each measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=18081, help="the first of two ports")
    parser.add_argument("--mix", choices=("hubs", "journeys"), default="hubs", help="what the scans are (see above)")
    args = parser.parse_args()

    servers: dict[bool, tuple[subprocess.Popen[bytes], str, str]] = {}
    keys: dict[bool, str] = {}
    journey_numbers: list[str] = []
    # Everything each server did from before the warm-up to the end, between turns too (deferred work such
    # as the learning job and the stalled sweep runs then), and every scan it took.
    session_cpu: dict[bool, float] = {}
    session_scans: dict[bool, int] = {True: 0, False: 0}
    try:
        for offset, estimates in enumerate((True, False)):
            folder, numbers = prepared_store(args.parcels)
            data_dir = CACHE / f"run-estimates-{'on' if estimates else 'off'}"
            shutil.rmtree(data_dir, ignore_errors=True)
            Path(folder).rename(data_dir)
            port = args.port + offset
            server = start_server(data_dir, port, estimates=estimates)
            key = keys[estimates] = cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench")
            servers[estimates] = (server, f"http://127.0.0.1:{port}", scan_script_for(numbers, key))
            if args.mix == "journeys":
                journey_numbers = in_transit_numbers(data_dir)  # the same on both copies

        def script_for(estimates: bool, run: int) -> str:
            if args.mix == "journeys":
                return journeys_script(journey_numbers, keys[estimates], run)
            return servers[estimates][2]

        for estimates, (server, base, _) in servers.items():
            session_cpu[estimates] = -server_cpu_s(server.pid)
            warm, _ = measured_ingest(server, base, script_for(estimates, 0), connections=args.connections, seconds=3)
            session_scans[estimates] += warm.requests

        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        print("| turn | estimates | scans/s | server CPU per scan |")
        print("|---:|---|---:|---:|")
        for turn in range(1, args.turns + 1):
            for estimates in (True, False) if turn % 2 else (False, True):
                server, base, _ = servers[estimates]
                script = script_for(estimates, turn)
                ingest, cpu = measured_ingest(server, base, script, connections=args.connections, seconds=args.seconds)
                if ingest.errors:
                    raise SystemExit(f"{ingest.errors} scans were not accepted")
                runs[estimates].append((ingest.requests_per_s, cpu))
                session_scans[estimates] += ingest.requests
                side = "on" if estimates else "off"
                print(f"| {turn} | {side} | {ingest.requests_per_s:,.0f} | {cpu * 1e6:.0f} µs |", flush=True)
        time.sleep(65)  # one more pass of the periodic job (learning, stalled sweep) after the last turn
        for estimates, (server, _, _) in servers.items():
            session_cpu[estimates] += server_cpu_s(server.pid)
    finally:
        for server, _, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)

    on_rate, off_rate = (statistics.median(r for r, _ in runs[side]) for side in (True, False))
    on_cpu, off_cpu = (statistics.median(c for _, c in runs[side]) for side in (True, False))
    paired_rate = statistics.median(a[0] / b[0] for a, b in zip(runs[True], runs[False], strict=True))
    paired_cpu = statistics.median(a[1] / b[1] for a, b in zip(runs[True], runs[False], strict=True))
    print(
        f"\nmedians, on / off: {on_rate:,.0f} / {off_rate:,.0f} scans/s, {on_cpu * 1e6:.0f} / {off_cpu * 1e6:.0f} µs"
        " CPU per scan"
    )
    print(
        f"median of the paired ratios: throughput {paired_rate - 1:+.1%}, CPU per scan {paired_cpu - 1:+.1%}"
        " (estimates on against off)"
    )
    whole = {side: session_cpu[side] / session_scans[side] for side in (True, False)}
    print(
        f"whole session, deferred work included: {whole[True] * 1e6:.0f} / {whole[False] * 1e6:.0f} µs CPU per scan"
        f" ({whole[True] / whole[False] - 1:+.1%})"
    )


if __name__ == "__main__":
    main()
