"""What estimates cost in the scan transaction, measured A/B interleaved in one process (robust to a busy machine).

``.venv/bin/python -m bench.estimates_cost --parcels 200000 --rounds 40 --group 32``

Copies the cached bench store (``bench.run`` builds it), scans each parcel it will use once (warm), then
records ``rounds`` × 2 groups of ``group`` scans through the real ``record_scans_tx`` in real write transactions
(synchronous=FULL), alternating estimates on and off so that both sides see the same machine load. Prints the
time per scan of each side (wall and CPU), and the share of the transaction the estimates take.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from bench.run import prepared_store
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.scanning.record import record_scans_tx
from ordertrail.storage.database import open_database


def scans(numbers: list[str], count: int, offset: int) -> list[tuple[ScanInput, int | None]]:
    at = datetime.now(UTC) - timedelta(hours=1) + timedelta(milliseconds=offset)
    made = []
    for i in range(count):
        event_id = str(uuid.uuid4())
        made.append(
            (
                ScanInput(
                    event_id=event_id,
                    tracking_number=numbers[(offset + i * 7919) % len(numbers)],
                    status=Status.IN_TRANSIT,
                    occurred_at=at + timedelta(milliseconds=i),
                    body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
                    substatus="in_transit.arrived_at_hub",
                    location=Location(facility="Hub Leeds", city="Leeds", country="GB"),
                ),
                None,
            )
        )
    return made


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--group", type=int, default=32, help="scans per transaction (group commit)")
    args = parser.parse_args()
    folder, numbers = prepared_store(args.parcels)
    db = open_database(f"sqlite:///{folder / 'ordertrail.db'}", synchronous="FULL")
    runtime = EstimateRuntime()
    timings: dict[str, list[tuple[float, float]]] = {"on": [], "off": []}
    try:
        # Every parcel measured has had a scan with estimates on before (as when estimates were always on).
        for round_ in range(args.rounds * 2):
            warm = scans(numbers, args.group, round_ * args.group)
            await db.write(lambda c, warm=warm: record_scans_tx(c, warm, now=datetime.now(UTC), estimates=runtime))
        for round_ in range(args.rounds):
            for side in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
                items = scans(numbers, args.group, round_ * 2 * args.group + (side == "on") * args.group)
                eta = runtime if side == "on" else None

                def transaction(connection: Connection, items=items, eta=eta) -> tuple[float, float]:  # type: ignore[no-untyped-def]
                    wall, cpu = time.perf_counter(), time.process_time()
                    record_scans_tx(connection, items, now=datetime.now(UTC), estimates=eta)
                    return time.perf_counter() - wall, time.process_time() - cpu

                started = time.perf_counter()
                inside = await db.write(transaction)
                timings[side].append((time.perf_counter() - started, inside[1]))
    finally:
        await db.close()
    print(f"{args.rounds} rounds of {args.group} scans a transaction per side, interleaved, synchronous=FULL")
    print("| estimates | median ms per transaction (with commit) | per scan µs | CPU in the transaction per scan µs |")
    print("|---|---:|---:|---:|")
    medians = {}
    for side in ("off", "on"):
        wall = statistics.median(w for w, _ in timings[side][2:])  # the first rounds warm caches
        cpu = statistics.median(c for _, c in timings[side][2:])
        medians[side] = (wall, cpu)
        print(f"| {side} | {wall * 1000:.2f} | {wall / args.group * 1e6:.0f} | {cpu / args.group * 1e6:.0f} |")
    extra = medians["on"][0] / medians["off"][0] - 1
    extra_cpu = medians["on"][1] / medians["off"][1] - 1
    print(f"\nestimates add {extra:.1%} to a committed transaction ({extra_cpu:.1%} of its CPU)")


if __name__ == "__main__":
    asyncio.run(main())
