"""The hot statements run below Core (storage/compiled.py) write and read exactly what Core writes and reads.

Each test writes one way and reads the other, on the store under test (SQLite, or PostgreSQL with
ORDERTRAIL_TEST_DATABASE_URL): the column types' own converters are the only conversion either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, insert, select

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.scans import NewEvent, Proof, ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.compiled import Compiled, any_of
from ordertrail.storage.estimating.revisions import revisions_of
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store
from ordertrail.storage.tables import parcel, scan_event

PLACED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN = Principal(key_id=None, role=Role.ADMIN, name="test")
SCANNER = Principal(key_id=None, role=Role.SCANNER, name="test")


async def _parcels(services: Services, count: int) -> list[str]:
    merchant_id = await create_merchant(services, name="Shop")
    spec = OrderSpec(
        order_number="C-1",
        customer=Customer(name="Ada", email="ada@example.com"),
        destination=Address(line1="1 Row", city="Leeds", postal_code="LS1 4AP", country="GB"),
        placed_at=PLACED,
        parcels=tuple(ParcelSpec() for _ in range(count)),
    )
    placed = await place_order(services, principal=ADMIN, spec=spec, merchant_id=merchant_id)
    return [p.tracking_number for p in placed.parcels]


def _event(sequence: int, **overrides: Any) -> ScanEvent:
    values: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "sequence": sequence,
        "status": Status.IN_TRANSIT,
        # A local offset (+05:30) and a microsecond: both must survive the round trip.
        "occurred_at": datetime(2026, 3, 3, 14, 30, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "recorded_at": datetime(2026, 3, 3, 9, 1, 2, 654321, tzinfo=UTC),
        "substatus": "in_transit.arrived_at_hub",
        "location": Location("Hub Leeds", "Leeds", "West Yorkshire", "LS1 4AP", "GB", 53.8, -1.55),
        "note": "ü note",
    }
    values.update(overrides)
    return ScanEvent(**values)


def test_events_appended_below_core_read_back_through_core(run_services: Callable[..., Any]) -> None:
    async def work(services: Services) -> None:
        (number,) = await _parcels(services, 1)

        def write(connection: Connection) -> tuple[int, ScanEvent, ScanEvent]:
            pid = parcel_store.parcels_by_tracking_number(connection, [number])[number].id
            plain, proved = _event(2), _event(3, status=Status.DELIVERED, location=Location(), note=None)
            proof = Proof(recipient_name="Ada", signature_png=b"\x89PNG", photo_jpeg=None)
            scan_store.append_events(
                connection,
                [NewEvent(pid, plain, "a" * 64, None, None), NewEvent(pid, proved, "b" * 64, None, proof)],
            )
            return pid, plain, proved

        pid, plain, proved = await services.db.write(write)

        def read(connection: Connection) -> None:
            rows = connection.execute(
                select(scan_event).where(scan_event.c.parcel_id == pid, scan_event.c.sequence > 1)
                .order_by(scan_event.c.sequence)
            ).all()  # fmt: skip
            assert [r.event_id for r in rows] == [plain.event_id, proved.event_id]
            first, second = rows
            assert first.occurred_at == plain.occurred_at and first.occurred_at.tzinfo == UTC
            assert first.occurred_offset_minutes == 330
            assert first.recorded_at == plain.recorded_at
            assert (first.facility, first.region, first.lat, first.lon, first.note) == (
                "Hub Leeds", "West Yorkshire", 53.8, -1.55, "ü note"
            )  # fmt: skip
            assert (first.body_hash, first.has_proof, second.has_proof) == ("a" * 64, False, True)
            assert (second.status, second.facility, second.note) == ("delivered", None, None)
            # And the domain's reader sees the events as they were given, offset included.
            assert scan_store.events_of(connection, [pid])[pid][1:] == [plain, proved]
            assert scan_store.proofs_of(connection, [proved.event_id])[proved.event_id].signature_png == b"\x89PNG"

        await services.db.read(read)

    run_services(work)


def test_rows_written_through_core_read_back_below_core(run_services: Callable[..., Any]) -> None:
    async def work(services: Services) -> None:
        numbers = await _parcels(services, 3)
        event_id = str(uuid.uuid4())
        occurred = datetime(2026, 3, 3, 8, 0, 0, 1, tzinfo=timezone(timedelta(hours=-4)))

        def write(connection: Connection) -> int:
            pid = parcel_store.parcels_by_tracking_number(connection, numbers[:1])[numbers[0]].id
            connection.execute(
                insert(scan_event).values(
                    event_id=event_id, parcel_id=pid, sequence=2, status="packed", occurred_at=occurred,
                    occurred_offset_minutes=-240, recorded_at=occurred, body_hash="c" * 64, has_proof=False,
                )
            )  # fmt: skip
            return pid

        pid = await services.db.write(write)

        def read(connection: Connection) -> None:
            known = scan_store.known_event_ids(connection, [event_id, str(uuid.uuid4())])
            assert list(known) == [event_id]
            assert (known[event_id].body_hash, known[event_id].parcel_id) == ("c" * 64, pid)
            # The parcels below Core equal the same query's rows through Core, every converted column included.
            found = parcel_store.parcels_by_tracking_number(connection, [*numbers, "OTNOSUCHNUMBER"])
            assert sorted(found) == sorted(numbers)
            through_core = connection.execute(parcel_store._BY_NUMBER, {"numbers": numbers}).all()
            assert {p.tracking_number: p for p in map(parcel_store._parcel, through_core)} == found
            assert found[numbers[0]].placed_at == PLACED

        await services.db.read(read)

    run_services(work)


def test_any_of_takes_any_number_of_values_in_one_statement(run_services: Callable[..., Any]) -> None:
    async def work(services: Services) -> None:
        numbers = await _parcels(services, 5)
        query = Compiled(select(parcel.c.tracking_number).where(any_of(parcel.c.tracking_number, "numbers")))

        def read(connection: Connection) -> None:
            assert query.fetch_all(connection, {"numbers": []}) == []
            assert query.fetch_all(connection, {"numbers": ["OT'; DROP TABLE parcel; --"]}) == []
            assert sorted(query.fetch_all(connection, {"numbers": numbers[:2]})) == sorted((n,) for n in numbers[:2])
            many = [*numbers, *(f"OTX{i:010d}" for i in range(2000))]  # past SQLite's parameter limit of old
            assert sorted(query.fetch_all(connection, {"numbers": many})) == sorted((n,) for n in numbers)

        await services.db.read(read)

    run_services(work)


def test_a_scans_projection_and_estimate_saved_below_core_read_back_through_core(
    run_services: Callable[..., Any],
) -> None:
    async def work(services: Services) -> None:
        services.estimates = runtime_for(enabled=True)
        services.clock = lambda: PLACED + timedelta(days=1)
        (number,) = await _parcels(services, 1)
        scanned = PLACED + timedelta(hours=5, minutes=7, microseconds=3)
        scan = ScanInput(
            event_id=str(uuid.uuid4()), tracking_number=number, status=Status.DISPATCHED, occurred_at=scanned,
            body_hash="d" * 64, location=Location(facility="Warehouse Leeds", city="Leeds", country="GB"),
        )  # fmt: skip
        (result,) = await record_scans(services, scans=[scan], principal=SCANNER)
        assert result.parcel is not None

        def read(connection: Connection) -> None:
            row = connection.execute(select(parcel).where(parcel.c.tracking_number == number)).one()
            assert (row.status, row.last_sequence, row.status_changed_at, row.last_event_at) == (
                "dispatched", 2, scanned, scanned
            )  # fmt: skip
            assert row.updated_at == PLACED + timedelta(days=1)
            estimate = result.parcel.estimate if result.parcel else None
            assert estimate is not None and estimate.likely is not None
            assert (row.eta_step, row.eta_likely, row.eta_earliest) == (
                estimate.step,
                estimate.likely,
                estimate.earliest,
            )
            revisions = revisions_of(connection, row.id)  # inserted below Core, read through Core
            assert revisions and revisions[-1].likely == estimate.likely

        await services.db.read(read)

    run_services(work)
