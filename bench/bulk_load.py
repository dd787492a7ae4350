"""Fill an embedded store with many parcels and events quickly, for the lookup benchmark.

Rows are written with the DB-API directly (not through the use cases, which would take an hour for five
million events): orders, parcels with their projection, and a realistic lifecycle of events for each parcel.
The projection is derived with the domain's own ``derive`` so the store is consistent.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from ordertrail.domain.estimating.lanes import postal_area
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import RANK
from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.storage.console import parcel_counts
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.sqlite_rows import sqlite_instant

LIFECYCLE = (
    "order_placed",
    "processing",
    "packed",
    "dispatched",
    "in_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
)
# Placed, processed, packed and dispatched at the shop's hub; then at a sorting centre of the destination city.
AT_SORTING = frozenset({"in_transit", "out_for_delivery", "delivered"})
_OFFSET = timedelta(minutes=60)  # every event's place is at +01:00
CITIES = (("Berlin", "DE"), ("Hamburg", "DE"), ("Paris", "FR"), ("London", "GB"), ("Leeds", "GB"), ("Lyon", "FR"))


def current_stay(scanned_at: list[tuple[str, datetime]]) -> tuple[str, datetime]:
    """Where the parcel waits (domain/scanning/stay.py): its latest facility, since the first scan of that visit."""
    facility, since = scanned_at[-1]
    for earlier, at in reversed(scanned_at):
        if earlier != facility:
            break
        since = at
    return facility, since


def first_visits(scanned_at: list[tuple[str, datetime]]) -> list[tuple[str, datetime, datetime, float]]:
    """The first visit to each facility it has left: (facility, since, until, hours)."""
    found: list[tuple[str, datetime, datetime, float]] = []
    seen: set[str] = set()
    for i, (facility, since) in enumerate(scanned_at):
        if facility in seen:
            continue
        seen.add(facility)
        until = next((at for f, at in scanned_at[i + 1 :] if f != facility), None)
        if until is not None:
            found.append((facility, since, until, (until - since).total_seconds() / 3600))
    return found


def bulk_load(path: Path, *, parcels: int, events_per_parcel: int = 5, seed: int = 1, chunk: int = 20_000) -> list[str]:
    """Create ``parcels`` parcels (one per order) with ``events_per_parcel`` events each; returns 10,000 numbers."""
    upgrade(f"sqlite:///{path}")
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")  # a fixture: the loader's own durability does not matter
    now = datetime.now(UTC)
    db.execute("BEGIN")
    db.execute("INSERT INTO merchant (name, created_at) VALUES ('Bench Shop', ?)", (sqlite_instant(now),))
    merchant_id = db.execute("SELECT id FROM merchant WHERE name = 'Bench Shop'").fetchone()[0]
    db.execute("COMMIT")
    next_order = (db.execute('SELECT coalesce(max(id), 0) FROM "order"').fetchone()[0] or 0) + 1
    sample: list[str] = []
    steps = LIFECYCLE[:events_per_parcel]
    for start in range(0, parcels, chunk):
        count = min(chunk, parcels - start)
        orders, parcel_rows, event_rows, visit_rows = [], [], [], []
        for i in range(count):
            order_id = next_order + start + i
            # Journeys of a few days, as on a real network (a delivery teaches the lane statistics every day of
            # its journey); every event at least 12 hours old, so the benchmarks' scans come after them.
            placed = now - timedelta(hours=rng.uniform(60, 96))
            city, country = rng.choice(CITIES)
            number = tn.generate(rng.randrange)
            if len(sample) < 10_000:
                sample.append(number)
            orders.append(
                (
                    order_id,
                    merchant_id,
                    f"B-{order_id}",
                    sqlite_instant(placed),
                    "Bench Customer",
                    "bench@example.com",
                    None,
                    "1 Bench Road",
                    None,
                    city,
                    None,
                    "10115",
                    country,
                    None,
                    sqlite_instant(now),
                )
            )
            at = placed
            scanned_at: list[tuple[str, datetime]] = []  # (facility, when) of each event, in order
            for sequence, status in enumerate(steps, start=1):
                facility = f"Sort {city}" if status in AT_SORTING else "Hub"
                scanned_at.append((facility, at))
                event_rows.append(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        order_id,
                        sequence,
                        status,
                        None,
                        sqlite_instant(at),
                        60,
                        sqlite_instant(at),
                        facility,
                        city,
                        None,
                        None,
                        country,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        "",
                        0,
                    )
                )
                last = at
                at = at + timedelta(hours=rng.uniform(1, 12))
            # The estimate state a parcel has when estimates were on from the start (domain/estimating/state.py).
            day1, day2 = now.date().toordinal() + 1, now.date().toordinal() + 2  # dates are day numbers on SQLite
            # On schedule: the stalled-parcel sweep finds nothing to flag during a benchmark (bench/run.py rebuilds
            # a cached store built on an earlier day, when windows and deadlines would have passed).
            stall = sqlite_instant(now + timedelta(days=7))
            eta = (
                "Hub", sqlite_instant(placed), steps[-1] + (".1" if steps[-1] == "in_transit" else ""),
                sqlite_instant(last),
                steps.count("in_transit"), day1, day2, day1, 0.5, "default", sqlite_instant(last), day2, 0, None, stall,
                None, 0, country, postal_area(country, "10115"), 1, None,
            )  # fmt: skip
            stay_facility, stay_since = current_stay(scanned_at)
            parcel_rows.append(
                (
                    order_id,
                    order_id,
                    number,
                    1,
                    None,
                    1000,
                    steps[-1],
                    None,
                    RANK[Status(steps[-1])],
                    len(steps),
                    len(steps) - 1,
                    sqlite_instant(last),
                    sqlite_instant(last),
                    sqlite_instant(now),
                    *eta,
                    stay_facility,
                    sqlite_instant(stay_since),
                )
            )
            visit_rows += [
                (order_id, f, sqlite_instant(since), sqlite_instant(until), (until + _OFFSET).date().toordinal(), h)
                for f, since, until, h in first_visits(scanned_at)
            ]
        db.execute("BEGIN")
        db.executemany('INSERT INTO "order" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', orders)
        db.executemany(
            "INSERT INTO parcel (id, order_id, tracking_number, position, reference, weight_grams, status, substatus,"
            " furthest_rank, last_sequence, status_version, status_changed_at, last_event_at, updated_at,"
            " eta_origin, eta_origin_at, eta_step, eta_step_started_at, eta_hubs, eta_earliest, eta_latest, eta_likely,"
            " eta_confidence, eta_basis, eta_estimated_at, eta_promise, eta_delayed, eta_delay_reason, eta_stall_after,"
            " eta_stalled_at, eta_learned, eta_country, eta_area, eta_watched, eta_learn_pending, stay_facility,"
            " stay_since) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            parcel_rows,
        )
        db.executemany(
            "INSERT INTO scan_event (event_id, parcel_id, sequence, status, substatus, occurred_at,"
            " occurred_offset_minutes, recorded_at, facility, city, region, postal_code, country, lat, lon, note,"
            " reason, voids_event_id, api_key_id, body_hash, has_proof)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            event_rows,
        )
        db.executemany("INSERT INTO facility_visit VALUES (?,?,?,?,?,?)", visit_rows)
        db.execute("COMMIT")
    db.close()
    _fold_counts(path)
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    return sample


def _fold_counts(path: Path) -> None:
    """Fold the parcel counts' change rows (one per parcel inserted) as the server's job would, so that a run starts
    from a store a server has been keeping, not one with a million changes to sum on its first overview."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        while parcel_counts.fold(connection, limit=100_000):
            pass
    engine.dispose()
