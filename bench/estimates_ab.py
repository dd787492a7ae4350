"""What delivery estimates cost in single-scan ingest throughput: A/B runs of a real server, interleaved.

``.venv/bin/python -m bench.estimates_ab --parcels 200000 --rounds 6``

Each round starts ``ordertrail serve`` twice on fresh copies of the same bulk-loaded store (bench/run.py), once
with ``ORDERTRAIL_ESTIMATES=true`` and once with ``false`` (the order alternates between rounds), and drives
single scans with wrk exactly as ``bench.run`` (a) does. One pair says little on a shared machine (runs of the
same side differ by 10 % and more); the medians over the rounds are the figures to quote. Besides scans/s it
reports the server's CPU per scan, which depends much less on what else the machine runs.
"""

from __future__ import annotations

import argparse
import statistics

from bench.run import cli, measured_ingest, prepared_store, scan_script_for, start_server


def one_run(parcels: int, *, estimates: bool, port: int, connections: int, seconds: int) -> tuple[float, float]:
    """(scans/s, server CPU seconds per scan) of one server on a fresh copy of the store."""
    data_dir, numbers = prepared_store(parcels)
    server = start_server(data_dir, port, estimates=estimates)
    try:
        script = scan_script_for(numbers, cli(data_dir, "keys", "create", "--role", "scanner", "--name", "bench"))
        measured_ingest(server, f"http://127.0.0.1:{port}", script, connections=connections, seconds=2)  # warm-up
        ingest, cpu = measured_ingest(
            server, f"http://127.0.0.1:{port}", script, connections=connections, seconds=seconds
        )
        if ingest.errors:
            raise SystemExit(f"{ingest.errors} scans were not accepted")
        return ingest.requests_per_s, cpu
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=18081)
    args = parser.parse_args()

    runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    print("| round | estimates | scans/s | server CPU per scan |")
    print("|---:|---|---:|---:|")
    for round_ in range(1, args.rounds + 1):
        for estimates in (True, False) if round_ % 2 else (False, True):
            rate, cpu = one_run(
                args.parcels, estimates=estimates, port=args.port, connections=args.connections, seconds=args.seconds
            )
            runs[estimates].append((rate, cpu))
            print(f"| {round_} | {'on' if estimates else 'off'} | {rate:,.0f} | {cpu * 1e6:.0f} µs |", flush=True)
    on_rate, off_rate = (statistics.median(r for r, _ in runs[side]) for side in (True, False))
    on_cpu, off_cpu = (statistics.median(c for _, c in runs[side]) for side in (True, False))
    print(
        f"| median | on / off | {on_rate:,.0f} / {off_rate:,.0f} ({on_rate / off_rate - 1:+.1%}) "
        f"| {on_cpu * 1e6:.0f} / {off_cpu * 1e6:.0f} µs ({on_cpu / off_cpu - 1:+.1%}) |"
    )


if __name__ == "__main__":
    main()
