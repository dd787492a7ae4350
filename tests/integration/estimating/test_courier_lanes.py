"""Estimates by courier through the real services, on the test store (SQLite, or PostgreSQL when
ORDERTRAIL_TEST_DATABASE_URL is set): the learning job keys a handed-over parcel's delivery by its courier and
service level, a new parcel gets its courier's window (or the lane's, for a courier without history), a handover
after dispatch re-estimates the parcel, and a courier's hub and out-for-delivery events move the estimate exactly
as first-party scans of those statuses do."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.couriers.events import CourierEvent
from ordertrail.domain.estimating.estimator import DEFAULT_POLICY
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.console.handing_over import hand_over
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.couriers.events import record_courier_events, shipped_registry
from ordertrail.services.couriers.handover import checked_carrier, record_carried
from ordertrail.services.couriers.integrations import create_integration
from ordertrail.services.estimating.learning import learn
from ordertrail.services.estimating.queries import estimate_history
from ordertrail.services.estimating.runtime import EstimateConfig, EstimateRuntime
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.settings import Settings
from ordertrail.storage.couriers.integrations import Integration
from ordertrail.storage.migrate import alembic_config, upgrade
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.tables import lane_stat
from tests.support.store import rows

ADMIN = Principal(key_id=None, role=Role.ADMIN, name="test")
SCANNER = Principal(key_id=None, role=Role.SCANNER, name="test")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Leeds keeps UTC until 29 March
TUESDAY, WEDNESDAY = date(2026, 3, 3), date(2026, 3, 4)
HISTORY = 5  # parcels per courier; the runtime below needs 5 observations of a situation (min_samples)
UPS_NUMBER = "1Z5R89390357567127"
LANE = "Warehouse Leeds>GB-LS"


def scan(number: str, status: Status, at: datetime, *, facility: str | None = None, **extra: Any) -> ScanInput:
    event_id = str(uuid.uuid4())
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=status,
        occurred_at=at,
        body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
        location=Location(facility=facility, city="Leeds", country="GB"),
        **extra,
    )


def dispatch(number: str, at: datetime, courier: str | None = None, service_level: str | None = None) -> ScanInput:
    """The warehouse's dispatch scan, handing the parcel to ``courier`` in its carrier block when given one."""
    carrier = None
    if courier is not None:
        courier_number = UPS_NUMBER if courier == "ups" else f"{courier.upper()}-{number[-8:]}"
        carrier = checked_carrier(
            courier=courier, tracking_number=courier_number, service_level=service_level, tracking_url=None
        )
    return scan(number, Status.DISPATCHED, at, facility="Warehouse Leeds", carrier=carrier)


def with_couriers(services: Services, moment: list[datetime]) -> Services:
    """The services as the app composes them (dispatch scans record their carriers' handovers), at ``moment``,
    with a runtime that needs 5 observations of a situation and rereads the statistics on every estimate."""
    policy = dataclasses.replace(DEFAULT_POLICY, min_samples=HISTORY)
    runtime = EstimateRuntime(EstimateConfig(policy=policy, refresh=timedelta(0)))
    return dataclasses.replace(services, clock=lambda: moment[0], estimates=runtime, handovers=record_carried)


async def new_parcel(services: Services, merchant_id: int, name: str, placed_at: datetime) -> str:
    spec = OrderSpec(
        order_number=name,
        customer=Customer(name="Ada", email="ada@example.com"),
        destination=Address(line1="1 Row", city="Leeds", postal_code="LS1 4AP", country="GB"),
        placed_at=placed_at,
        parcels=(ParcelSpec(),),
    )
    return (await place_order(services, principal=ADMIN, spec=spec, merchant_id=merchant_id)).parcels[0].tracking_number


async def learn_history(services: Services, merchant_id: int) -> None:
    """On Mondays of the weeks before: courier-x's express parcels delivered on Tuesday, courier-y's standard
    ones on Wednesday, all dispatched from the same warehouse to the same area, one after the other."""
    for week in range(HISTORY, 0, -1):
        start = MONDAY - timedelta(days=7 * week)
        for courier, service, days in (("courier-x", "express", 1), ("courier-y", "standard", 2)):
            number = await new_parcel(services, merchant_id, f"H-{courier}-{week}", start)
            out_at = start + timedelta(days=days, hours=-1)  # 07:00 on the day of delivery
            await record_scans(
                services,
                scans=[
                    dispatch(number, start + timedelta(hours=2), courier, service),  # 10:00
                    scan(number, Status.IN_TRANSIT, start + timedelta(hours=8), facility="Hub Leeds"),  # 16:00
                    scan(number, Status.OUT_FOR_DELIVERY, out_at),
                    scan(number, Status.DELIVERED, out_at + timedelta(hours=3)),
                ],
                principal=SCANNER,
            )
    assert await learn(services) == 2 * HISTORY


async def learned_per_key(services: Services) -> dict[str, int]:
    """Delivered parcels learned under each lane key."""

    def read(connection: Any) -> dict[str, int]:
        return {r.key: r.parcels for r in connection.execute(select(lane_stat.c.key, lane_stat.c.parcels))}

    result: dict[str, int] = await services.db.read(read)
    return result


async def window(services: Services, number: str) -> tuple[date | None, date | None, str | None]:
    def read(connection: Any) -> tuple[date | None, date | None, str | None]:
        state = parcel_store.parcels_by_tracking_number(connection, [number])[number].estimate
        assert state is not None
        return state.earliest, state.latest, state.basis

    result: tuple[date | None, date | None, str | None] = await services.db.read(read)
    return result


def test_each_courier_and_service_gets_its_own_window_and_a_handover_after_dispatch_re_estimates(
    run_services: Callable[..., Any],
) -> None:
    async def work(base: Services) -> None:
        moment = [MONDAY]
        services = with_couriers(base, moment)
        merchant_id = await create_merchant(services, name="Shop")
        await learn_history(services, merchant_id)

        keys = await learned_per_key(services)
        assert keys[f"courier:courier-x/express|{LANE}"] == HISTORY
        assert keys[f"courier:courier-y/standard|{LANE}"] == HISTORY
        assert keys[LANE] == 2 * HISTORY  # the plain lane learns every parcel, handed over or not

        # New parcels dispatched at 10:00 on Monday, the scans sent at 12:30 (the afternoon, as learned).
        moment[0] = MONDAY + timedelta(hours=4, minutes=30)
        numbers = {name: await new_parcel(services, merchant_id, name, MONDAY) for name in ("x", "y", "z", "plain")}
        couriers = {"x": ("courier-x", "express"), "y": ("courier-y", "standard"), "z": ("courier-z", "express")}
        await record_scans(
            services,
            scans=[dispatch(numbers[n], MONDAY + timedelta(hours=2), *couriers.get(n, (None, None))) for n in numbers],
            principal=SCANNER,
        )
        assert await window(services, numbers["x"]) == (TUESDAY, TUESDAY, "courier")
        assert await window(services, numbers["y"]) == (WEDNESDAY, WEDNESDAY, "courier")
        # A courier without history: the lane's window, learned from every courier's parcels.
        assert await window(services, numbers["z"]) == (TUESDAY, WEDNESDAY, "lane")
        assert await window(services, numbers["plain"]) == (TUESDAY, WEDNESDAY, "lane")

        # Handed to courier-x's express after dispatch (by API or console): estimated again on that lane.
        moment[0] += timedelta(minutes=15)
        reader = Reader.of_key(ADMIN, None)
        await hand_over(
            services,
            reader,
            tracking_number=numbers["plain"],
            courier="courier-x",
            courier_tracking_number="CX-PLAIN-1",
            service_level="Express",
        )
        assert await window(services, numbers["plain"]) == (TUESDAY, TUESDAY, "courier")
        revisions = await estimate_history(services, principal=ADMIN, tracking_number=numbers["plain"])
        assert [(r.earliest, r.latest, r.basis, r.reason) for r in revisions[1:]] == [  # after the order's own
            (TUESDAY, WEDNESDAY, "lane", "scan"),
            (TUESDAY, TUESDAY, "courier", "handover"),
        ]
        # Handing it over again to the same courier and service changes nothing.
        await hand_over(
            services,
            reader,
            tracking_number=numbers["plain"],
            courier="courier-x",
            courier_tracking_number="CX-PLAIN-1",
            service_level="Express",
        )
        assert len(await estimate_history(services, principal=ADMIN, tracking_number=numbers["plain"])) == 3

        # Delivered, it is learned under its courier's key.
        moment[0] = MONDAY + timedelta(days=1, hours=3)
        await record_scans(services, scans=[scan(numbers["plain"], Status.DELIVERED, moment[0])], principal=SCANNER)
        assert await learn(services) == 1
        assert (await learned_per_key(services))[f"courier:courier-x/express|{LANE}"] == HISTORY + 1

    run_services(work)


def test_courier_hub_and_out_for_delivery_events_move_the_estimate_as_first_party_scans_do(
    run_services: Callable[..., Any],
) -> None:
    async def work(base: Services) -> None:
        moment = [MONDAY]
        services = with_couriers(base, moment)
        merchant_id = await create_merchant(services, name="Shop")
        await learn_history(services, merchant_id)
        created = await create_integration(services, courier="ups", name="UPS feed")
        ups = Integration(created.id, created.courier, created.name, created.secret)

        moment[0] = MONDAY + timedelta(hours=4, minutes=30)
        ours = await new_parcel(services, merchant_id, "ours", MONDAY)
        theirs = await new_parcel(services, merchant_id, "theirs", MONDAY)
        await record_scans(
            services,
            scans=[dispatch(ours, MONDAY + timedelta(hours=2)), dispatch(theirs, MONDAY + timedelta(hours=2), "ups")],
            principal=SCANNER,
        )

        def courier_event(event_id: str, code: str, at: datetime) -> CourierEvent:
            return CourierEvent(
                courier="ups",
                courier_event_id=event_id,
                tracking_number=UPS_NUMBER,
                code=code,
                occurred_at=at,
                body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
                location=Location(city="Leeds", country="GB"),
            )

        # The hub at 16:00 (sent at 21:30, the evening, as learned), then out for delivery on Tuesday at 07:00.
        for status, code, at, sent in (
            (Status.IN_TRANSIT, "I", MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=13, minutes=30)),
            (Status.OUT_FOR_DELIVERY, "O", MONDAY + timedelta(hours=23), MONDAY + timedelta(hours=25, minutes=30)),
        ):
            moment[0] = sent
            await record_scans(services, scans=[scan(ours, status, at, facility="Hub Leeds")], principal=SCANNER)
            results = await record_courier_events(
                services, ups, [courier_event(f"ups-{code}", code, at)], registry=shipped_registry()
            )
            assert [r.outcome.value for r in results] == ["created"]

        def steps(number: str) -> Any:
            def read(connection: Any) -> Any:
                state = parcel_store.parcels_by_tracking_number(connection, [number])[number].estimate
                assert state is not None
                return state.step, state.step_started_at, state.hubs, state.courier

            return services.db.read(read)

        assert await steps(ours) == ("out_for_delivery", MONDAY + timedelta(hours=23), 1, None)
        assert await steps(theirs) == ("out_for_delivery", MONDAY + timedelta(hours=23), 1, "ups")
        mine = await estimate_history(services, principal=ADMIN, tracking_number=ours)
        courier = await estimate_history(services, principal=ADMIN, tracking_number=theirs)
        # ups has no history of its own: the lane's statistics, and the very same revisions for the same moves.
        assert [(r.earliest, r.latest, r.basis, r.step, r.reason) for r in mine[1:]] == [  # after the order's own
            (TUESDAY, WEDNESDAY, "lane", "dispatched", "scan"),
            (TUESDAY, TUESDAY, "lane", "out_for_delivery", "scan"),
        ]
        assert [r[1:] for r in courier] == [r[1:] for r in mine]  # everything but the parcel's id

    run_services(work)


def test_the_migration_gives_parcels_handed_over_before_it_their_courier(
    run_services: Callable[..., Any], settings: Settings
) -> None:
    async def work(base: Services) -> tuple[str, str]:
        services = with_couriers(base, [MONDAY + timedelta(hours=3)])
        merchant_id = await create_merchant(services, name="Shop")
        handed = await new_parcel(services, merchant_id, "handed", MONDAY)
        kept = await new_parcel(services, merchant_id, "kept", MONDAY)
        dispatched = [dispatch(handed, MONDAY + timedelta(hours=2), "courier-x", "express")]
        await record_scans(
            services, scans=[*dispatched, dispatch(kept, MONDAY + timedelta(hours=2))], principal=SCANNER
        )
        return handed, kept

    handed, kept = run_services(work)
    url = settings.resolved_database_url
    # Back to before the columns existed (the handovers stay), then up again: found by its file, whatever its number.
    config = alembic_config(url)
    ours = next(r for r in ScriptDirectory.from_config(config).walk_revisions() if "eta_courier" in (r.path or ""))
    assert isinstance(ours.down_revision, str)
    command.downgrade(config, ours.down_revision)
    upgrade(url)
    found = rows(url, "SELECT tracking_number, eta_courier, eta_service_level FROM parcel ORDER BY id")
    assert [(r["tracking_number"], r["eta_courier"], r["eta_service_level"]) for r in found] == [
        (handed, "courier-x", "express"),
        (kept, None, None),
    ]
