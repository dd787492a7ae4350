"""CPU per scan of the batch ingest path, stage by stage, in one process: ``python -m bench.batch_path``.

Where ``bench.run`` measures batch ingest over HTTP (wall-clock scans/s, which moves with whatever else the
machine runs), this times the two halves of ``POST /api/v1/scans/batch`` in CPU seconds of this process on a
copy of the same bulk-loaded store (``bench/.cache``):

- decode: the route's body handling (parse, duplicate-key check, validation, conversion to domain scans);
- transaction: ``record_scans_tx`` of 1,000 in-order hub scans for 1,000 different parcels, and the commit
  (``synchronous=FULL``);
- answer: the results rendered and encoded as the route answers them.

``--profile FILE`` writes a cProfile of the transactions (pstats format). Run under another checkout's ``src``
(``PYTHONPATH``) to compare builds on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from bench.run import CACHE, prepared_store, scan_rows
from ordertrail import app as app_module
from ordertrail.api import json_bodies
from ordertrail.api.routes import scans as scan_routes
from ordertrail.api.views import scan_result
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.http.deps import json_response
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.scanning.record import ScanResult, record_scans_tx
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade


def decode(body: bytes) -> list[ScanInput]:
    """What the batch route does to a body before queueing its scans (``routes/scans.py``)."""
    if hasattr(scan_routes, "parse_batch"):
        parsed = scan_routes.parse_batch(body, max_scans=1000)
    else:  # builds before the columnar decode: one model per item
        parsed = [scan_routes._parse_item(i, item) for i, item in enumerate(json_bodies.loads(body)["scans"])]
    return [p for p in parsed if isinstance(p, ScanInput)]


def answer(results: list[ScanResult]) -> bytes:
    rendered = [scan_routes._in_batch(i, scan_result(r, with_event=False)) for i, r in enumerate(results)]
    return bytes(json_response({"results": rendered, "counts": {}}, 200).body)


# What the overview's upkeep adds to the scan's transaction (migration 0026): the triggers that keep parcels by
# status and the partial indexes of its queues. ``--without-overview-upkeep`` drops them from the run's copy.
OVERVIEW_UPKEEP = (
    "DROP TRIGGER parcel_count_created",
    "DROP TRIGGER parcel_count_moved",
    "DROP TRIGGER parcel_count_deleted",
    "DROP INDEX ix_parcel_held",
    "DROP INDEX ix_parcel_before_dispatch",
    "DROP INDEX ix_parcel_stay",
)


async def measure(
    folder: Path, numbers: list[str], batches: int, profile: str | None, *, status: str, upkeep: bool
) -> dict[str, float]:
    url = f"sqlite:///{folder / 'ordertrail.db'}"
    upgrade(url)
    if not upkeep:
        with sqlite3.connect(folder / "ordertrail.db") as plain:
            for statement in OVERVIEW_UPKEEP:
                plain.execute(statement)
    db = open_database(url, synchronous="FULL")
    services = Services(db=db, estimates=runtime_for(enabled=True))
    if len(numbers) < 1000 * (batches + 1):
        raise SystemExit(
            f"the store's sample holds {len(numbers):,} parcels: at most {len(numbers) // 1000 - 1} batches"
        )
    # Batch k scans parcels numbers[1000k : 1000k + 1000]: 1,000 different parcels, each scanned once in the run.
    bodies = [
        json.dumps({"scans": scan_rows(numbers[1000 * k : 1000 * (k + 1)], 1000, status=status)}).encode()
        for k in range(batches + 1)
    ]
    if hasattr(app_module, "tune_gc"):
        app_module.tune_gc()  # as a server process does once it has built its app
    else:  # builds before it
        gc.collect()
        gc.freeze()
    # The fastest batch of each stage: on a shared machine, the batches others' jobs slowed down say little.
    spent = {"decode": float("inf"), "transaction": float("inf"), "answer": float("inf")}
    profiler = cProfile.Profile() if profile else None
    try:
        for index, body in enumerate(bodies):
            started = time.process_time()
            scans = decode(body)
            decoded = time.process_time()
            items = [(scan, None) for scan in scans]

            def transaction(
                connection: Connection, items: list[tuple[ScanInput, None]] = items, measured: bool = index > 0
            ) -> list[ScanResult]:
                if profiler is not None and measured:
                    profiler.enable()
                try:
                    return record_scans_tx(connection, items, now=services.clock(), estimates=services.estimates)[0]
                finally:
                    if profiler is not None:
                        profiler.disable()

            results = await db.write(transaction)
            written = time.process_time()
            answer(results)
            answered = time.process_time()
            assert sum(r.outcome.value == "created" for r in results) == 1000, "every scan is created"
            if index:  # the first batch warms the caches
                spent["decode"] = min(spent["decode"], decoded - started)
                spent["transaction"] = min(spent["transaction"], written - decoded)
                spent["answer"] = min(spent["answer"], answered - written)
    finally:
        await db.close()
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    return {stage: seconds / 1000 * 1e6 for stage, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--batches", type=int, default=9, help="measured batches of 1,000 (after one warm-up)")
    parser.add_argument("--profile", help="write a cProfile of the transactions to this file")
    parser.add_argument(
        "--status", default="in_transit", help="the scans' status (in_transit: the store's parcels keep theirs)"
    )
    parser.add_argument("--without-overview-upkeep", action="store_true", help="drop migration 0026's upkeep")
    args = parser.parse_args()
    folder, numbers = prepared_store(args.parcels)
    try:
        per_scan = asyncio.run(
            measure(
                folder,
                numbers,
                args.batches,
                args.profile,
                status=args.status,
                upkeep=not args.without_overview_upkeep,
            )
        )
    finally:
        shutil.rmtree(CACHE / "run", ignore_errors=True)
    total = sum(per_scan.values())
    print(
        "| CPU µs per scan | " + " | ".join(f"{stage} {value:.1f}" for stage, value in per_scan.items())
        + f" | total {total:.1f} |"
    )  # fmt: skip


if __name__ == "__main__":
    main()


__all__: list[Any] = []
