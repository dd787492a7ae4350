"""What learning a delivered parcel into the lane statistics costs, against the scans that delivered it.

``.venv/bin/python -m bench.learning_cost --parcels 200000 --deliveries 5000``

Copies the cached bench store (``bench.run`` builds it), then, in real write transactions (synchronous=FULL):

1. records each chosen parcel's last two scans (out for delivery, delivered) through the real
   ``record_scans_tx`` in groups of 32 with estimates *off*: the baseline, CPU per scan;
2. marks those parcels as waiting to be learned (what the delivery scan does with estimates on) and runs the
   real ``learn_tx`` over them in its batches: CPU per delivered parcel.

Both are measured in the same process and the same minutes, so the ratio (learning per delivered parcel over
a scan's ingest transaction) carries over between machines better than either number. With one delivery in six
scans, learning adds ``ratio / 6`` of the transaction's CPU to each scan; a served scan (HTTP, parsing, the
response) costs about twice its transaction, so about half that of the server's CPU (``bench.estimates_ab``
measures that whole).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, text

from bench.run import prepared_store
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.estimating.learning import LEARN_BATCH, learn_tx
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.scanning.record import record_scans_tx
from ordertrail.storage.database import open_database

GROUP = 32
LAST_STEPS = (
    (Status.OUT_FOR_DELIVERY, None, timedelta(hours=-3)),
    (Status.DELIVERED, None, timedelta(hours=-1)),
)


def delivery_scans(
    numbers: list[str], status: Status, substatus: str | None, ago: timedelta
) -> list[tuple[ScanInput, None]]:
    at = datetime.now(UTC) + ago
    made: list[tuple[ScanInput, None]] = []
    for i, number in enumerate(numbers):
        event_id = str(uuid.uuid4())
        scan = ScanInput(
            event_id=event_id,
            tracking_number=number,
            status=status,
            occurred_at=at + timedelta(milliseconds=i),
            body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
            substatus=substatus,
            location=Location(facility="Depot Leeds", city="Leeds", country="GB"),
        )
        made.append((scan, None))
    return made


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=200_000, help="size of the cached bench store")
    parser.add_argument("--deliveries", type=int, default=5_000, help="parcels delivered and then learned")
    args = parser.parse_args()
    folder, numbers = prepared_store(args.parcels)
    chosen = numbers[: args.deliveries]
    db = open_database(f"sqlite:///{folder / 'ordertrail.db'}", synchronous="FULL")
    runtime = EstimateRuntime()
    ingest_cpu: list[float] = []
    learn_cpu: list[float] = []
    try:
        for status, substatus, ago in LAST_STEPS:
            items = delivery_scans(chosen, status, substatus, ago)
            for start in range(0, len(items), GROUP):
                group = items[start : start + GROUP]

                def ingest(connection: Connection, group: list[tuple[ScanInput, None]] = group) -> float:
                    cpu = time.process_time()
                    results, _ = record_scans_tx(connection, group, now=datetime.now(UTC), estimates=None)
                    refused = [r.problems for r in results if r.outcome is not Outcome.CREATED]
                    if refused:
                        raise SystemExit(f"the store refused a delivery scan: {refused[0]}")
                    return (time.process_time() - cpu) / len(group)

                ingest_cpu.append(await db.write(ingest))

        mark = text(
            "UPDATE parcel SET eta_learn_pending = 1, eta_learned = 0"
            " WHERE tracking_number IN :numbers AND status = 'delivered'"
        ).bindparams(bindparam("numbers", expanding=True))

        def mark_pending(connection: Connection) -> int:
            return connection.execute(mark, {"numbers": chosen}).rowcount

        pending = await db.write(mark_pending)
        now = datetime.now(UTC)
        while True:

            def learn(connection: Connection) -> tuple[int, float]:
                cpu = time.process_time()
                done = learn_tx(connection, runtime, now=now)
                return done, time.process_time() - cpu

            done, cpu = await db.write(learn)
            if done == 0:
                break
            learn_cpu.append(cpu / done)
    finally:
        await db.close()
    per_scan = statistics.median(ingest_cpu[5:])  # the first groups warm caches
    per_parcel = statistics.median(learn_cpu)
    print(f"{pending:,} parcels delivered, learned in {len(learn_cpu)} batches of up to {LEARN_BATCH}")
    print("| measure | CPU µs (median) |")
    print("|---|---:|")
    print(f"| ingest, per scan (estimates off; the baseline) | {per_scan * 1e6:.0f} |")
    print(f"| learning, per delivered parcel | {per_parcel * 1e6:.0f} |")
    ratio = per_parcel / per_scan
    print(f"\nlearning one delivery costs {ratio:.2f} times a scan's ingest transaction", end="")
    print(f" (+{ratio / 6:.1%} of it at one delivery in six scans; a served scan costs about twice its transaction)")


if __name__ == "__main__":
    asyncio.run(main())
