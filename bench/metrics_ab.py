"""What the operations metrics cost in scan ingest throughput: two real servers, measured in turns.

``.venv/bin/python -m bench.metrics_ab --parcels 50000 --turns 10 --seconds 4``

Starts two ``ordertrail serve`` processes on two copies of the same bulk-loaded store (bench/run.py), one with
``ORDERTRAIL_METRICS=true`` (the default: every request counted and timed, every group commit's sizes, outcomes
and latency recorded) and one with ``false``, and drives single scans with wrk exactly as ``bench.run`` (a) does,
at one server and then the other, ``--turns`` times, the order alternating, as bench/estimates_ab.py does:
on a shared machine the speed drifts, and the ratio of each pair of neighbouring runs cancels that. Reports
scans/s and the server's CPU per scan of every run, the medians, and the median of the paired ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
from pathlib import Path

from bench.run import CACHE, cli, measured_ingest, prepared_store, scan_script_for, start_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--turns", type=int, default=10, help="measured runs per server")
    parser.add_argument("--seconds", type=int, default=4, help="duration of each measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=18091, help="the first of two ports")
    args = parser.parse_args()

    servers: dict[bool, tuple[subprocess.Popen[bytes], str, str]] = {}
    try:
        for offset, metrics in enumerate((True, False)):
            folder, numbers = prepared_store(args.parcels)
            data_dir = CACHE / f"run-metrics-{'on' if metrics else 'off'}"
            shutil.rmtree(data_dir, ignore_errors=True)
            Path(folder).rename(data_dir)
            port = args.port + offset
            env = {"ORDERTRAIL_METRICS": "true" if metrics else "false"}
            server = start_server(data_dir, port, extra_env=env)
            key = cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench")
            servers[metrics] = (server, f"http://127.0.0.1:{port}", scan_script_for(numbers, key))

        for server, base, script in servers.values():
            measured_ingest(server, base, script, connections=args.connections, seconds=3)  # warm-up

        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        print("| turn | metrics | scans/s | server CPU per scan |")
        print("|---:|---|---:|---:|")
        for turn in range(1, args.turns + 1):
            for metrics in (True, False) if turn % 2 else (False, True):
                server, base, script = servers[metrics]
                ingest, cpu = measured_ingest(server, base, script, connections=args.connections, seconds=args.seconds)
                if ingest.errors:
                    raise SystemExit(f"{ingest.errors} requests were not accepted")
                runs[metrics].append((ingest.requests_per_s, cpu))
                side = "on" if metrics else "off"
                print(f"| {turn} | {side} | {ingest.requests_per_s:,.0f} | {cpu * 1e6:.0f} µs |", flush=True)
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
        " (metrics on against off)"
    )


if __name__ == "__main__":
    main()
