"""Demo data: a merchant, keys, and orders whose parcels move through realistic lifecycles.

Everything goes through the real use cases (place_order, record_scans), so the demo exercises the same code
as production traffic. Times are in the past, spread over the last days, and stop at "now": some parcels are
delivered, others are still on their way.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from ordertrail.demo.showcase import Suggestion, suggestions
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import DuplicateMerchant
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.keys import CreatedKey, create_key
from ordertrail.services.accounts.merchants import create_merchant
from ordertrail.services.context import Services
from ordertrail.services.estimating.sweep import sweep
from ordertrail.services.orders.placing import place_order
from ordertrail.services.scanning.record import record_scans
from ordertrail.storage.accounts.merchants import merchant_id_by_name

DEMO_MERCHANT = "Demo Shop"
CET = timezone(timedelta(hours=1))
GMT = timezone(timedelta(hours=0))


@dataclass(frozen=True, slots=True)
class Hub:
    facility: str
    city: str
    region: str
    postal_code: str
    country: str
    zone: timezone


WAREHOUSE = Hub("Warehouse Leipzig-Nord", "Leipzig", "Saxony", "04129", "DE", CET)
HUBS = (
    Hub("Hub Berlin-Schönefeld", "Berlin", "Berlin", "12529", "DE", CET),
    Hub("Hub Hamburg-Billbrook", "Hamburg", "Hamburg", "22113", "DE", CET),
    Hub("Hub Frankfurt-Flughafen", "Frankfurt am Main", "Hesse", "60549", "DE", CET),
    Hub("Hub Köln-Eifeltor", "Köln", "North Rhine-Westphalia", "50997", "DE", CET),
    Hub("Hub München-Aschheim", "München", "Bavaria", "85609", "DE", CET),
    Hub("Hub Paris-Roissy", "Roissy-en-France", "Île-de-France", "95700", "FR", CET),
    Hub("Hub London-Heathrow", "London", "England", "TW6 2GA", "GB", GMT),
)
DESTINATIONS = (
    ("Berlin", "Berlin", "10115", "DE", HUBS[0]),
    ("Hamburg", "Hamburg", "20095", "DE", HUBS[1]),
    ("Frankfurt am Main", "Hesse", "60311", "DE", HUBS[2]),
    ("Köln", "North Rhine-Westphalia", "50667", "DE", HUBS[3]),
    ("München", "Bavaria", "80331", "DE", HUBS[4]),
    ("Paris", "Île-de-France", "75001", "FR", HUBS[5]),
    ("London", "England", "SW1A 1AA", "GB", HUBS[6]),
)
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Lena",
    "Malik",
)
LAST_NAMES = (
    "Schmidt",
    "Müller",
    "Martin",
    "Dubois",
    "Smith",
    "Yilmaz",
    "Weber",
    "Bernard",
    "Jones",
    "Novak",
)
STREETS = ("Hauptstraße", "Gartenweg", "Rue de la Paix", "High Street", "Bahnhofstraße", "Lindenallee")


@dataclass
class DemoResult:
    """What the demo made: keys to try the API with, and tracking numbers to open."""

    merchant: str
    keys: list[CreatedKey] = field(default_factory=list)
    tracking_numbers: list[str] = field(default_factory=list)  # the parcels made by this run
    scans: int = 0
    existing: bool = False  # the demo merchant was there already: nothing was added
    suggestions: list[Suggestion] = field(default_factory=list)  # a parcel for each state worth seeing


@dataclass(frozen=True, slots=True)
class Step:
    """One scan of a demo journey: what, where, when."""

    status: Status
    hub: Hub
    at: datetime
    substatus: str | None = None
    reason: str | None = None
    note: str | None = None


def _lifecycle(
    rng: random.Random, placed_at: datetime, destination_hub: Hub, *, troubled: bool = False
) -> Iterator[Step]:
    """A plausible journey for one parcel, possibly (``troubled``: surely) with a problem and a failed attempt."""
    at = placed_at

    def later(lo_hours: float, hi_hours: float) -> datetime:
        nonlocal at
        at = at + timedelta(hours=rng.uniform(lo_hours, hi_hours))
        return at

    yield Step(Status.PROCESSING, WAREHOUSE, later(0.5, 6))
    yield Step(Status.PACKED, WAREHOUSE, later(0.2, 3))
    yield Step(Status.DISPATCHED, WAREHOUSE, later(1, 8), substatus="dispatched.handed_to_carrier")
    route = [h for h in rng.sample(HUBS[:5], k=rng.randint(0, 2)) if h != destination_hub] + [destination_hub]
    for hub in route:
        yield Step(Status.IN_TRANSIT, hub, later(3, 14), substatus="in_transit.arrived_at_hub")
    if troubled or rng.random() < 0.08:
        reason = rng.choice(("damaged", "weather", "misrouted", "customs_hold"))
        yield Step(Status.EXCEPTION, destination_hub, later(1, 6), reason=reason)
        yield Step(Status.IN_TRANSIT, destination_hub, later(8, 30), substatus="in_transit.arrived_at_hub")
    yield Step(Status.OUT_FOR_DELIVERY, destination_hub, later(6, 16))
    if troubled or rng.random() < 0.15:
        reason = rng.choice(("nobody_home", "access_problem", "business_closed"))
        yield Step(Status.DELIVERY_ATTEMPTED, destination_hub, later(1, 6), reason=reason)
        yield Step(Status.OUT_FOR_DELIVERY, destination_hub, later(16, 24))
    yield Step(Status.DELIVERED, destination_hub, later(0.5, 6))


@dataclass(frozen=True, slots=True)
class _Showcase:
    """How one of the first demo orders ends, so every demo has a parcel in each state worth seeing (chance alone
    leaves some demos without them)."""

    ending: Status  # the journey stops at its first step of this status
    minutes_ago: tuple[float, float]  # how long before now that step happened (from, to)
    overdue: bool = False  # promised for the day it was placed, two days before its first scan: delayed


SHOWCASES = (
    _Showcase(Status.OUT_FOR_DELIVERY, (10, 50)),
    _Showcase(Status.EXCEPTION, (10, 50)),
    _Showcase(Status.DELIVERY_ATTEMPTED, (10, 50)),
    _Showcase(Status.IN_TRANSIT, (10, 50), overdue=True),
    _Showcase(Status.IN_TRANSIT, (4 * 24 * 60, 5 * 24 * 60)),  # stalled: no scan for four days and more
    _Showcase(Status.PROCESSING, (1, 5)),  # just begun: serve's live demo (demo/live.py) takes it to the door
)


def _journey(rng: random.Random, now: datetime, hub: Hub, index: int) -> tuple[datetime, list[Step], date | None]:
    """When order ``index`` was placed, the steps of its journey that have happened by ``now``, and its promise."""
    placed_at = now - timedelta(hours=rng.uniform(2, 24 * 6))
    if index >= len(SHOWCASES):
        return placed_at, [step for step in _lifecycle(rng, placed_at, hub) if step.at <= now], None
    showcase = SHOWCASES[index]
    steps = list(_lifecycle(rng, placed_at, hub, troubled=True))
    steps = steps[: next(i for i, step in enumerate(steps) if step.status is showcase.ending) + 1]
    shift = now - timedelta(minutes=rng.uniform(*showcase.minutes_ago)) - steps[-1].at
    steps = [replace(step, at=step.at + shift) for step in steps]
    if not showcase.overdue:
        return placed_at + shift, steps, None
    placed_at = steps[0].at - timedelta(days=2)
    return placed_at, steps, placed_at.date()


def scan_of(number: str, step: Step) -> ScanInput:
    """The scanner's record of ``step`` for parcel ``number`` (a fresh event id, times to the second)."""
    event_id = str(uuid.uuid4())
    occurred_at = step.at.astimezone(step.hub.zone).replace(microsecond=0)
    digest = hashlib.sha256(f"{event_id}{number}{step.status}{occurred_at.isoformat()}".encode()).hexdigest()
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=step.status,
        occurred_at=occurred_at,
        body_hash=digest,
        substatus=step.substatus,
        location=Location(
            facility=step.hub.facility,
            city=step.hub.city,
            region=step.hub.region,
            postal_code=step.hub.postal_code,
            country=step.hub.country,
        ),
        reason=step.reason,
    )


async def run_demo(
    services: Services,
    *,
    orders: int,
    seed: int = 7,
    merchant: str = DEMO_MERCHANT,
    progress: Callable[[int], None] = lambda _: None,
    live: bool = False,
) -> DemoResult:
    """Create the demo merchant, then ``orders`` orders with moving parcels; fresh keys either way.

    If the demo merchant exists already (a second ``serve --demo``), no orders are added: the store keeps the
    demo it has, and the new keys (keys are stored hashed, so earlier ones cannot be shown again; they still
    work) let the person try it at once. ``live``: the live demo will run (``serve --demo``), so the parcel it
    moves is suggested as moving now.
    """
    rng = random.Random(seed)
    result = DemoResult(merchant=merchant)
    try:
        await create_merchant(services, name=merchant)
    except DuplicateMerchant:
        result.existing = True
    result.keys = [
        await create_key(services, role=Role.ADMIN, name="demo admin"),
        await create_key(services, role=Role.MERCHANT, name="demo merchant", merchant=merchant),
        await create_key(services, role=Role.SCANNER, name="demo scanner"),
    ]
    merchant_id = await _merchant_id(services, merchant)
    if result.existing:
        result.suggestions = await suggestions(services, merchant_id, live=live)
        return result
    scanner_key = next((k.id for k in result.keys if k.role is Role.SCANNER), None)
    scanner = Principal(key_id=scanner_key, role=Role.SCANNER, name="demo scanner")
    now = services.clock()
    run_tag = f"{now:%y%m%d%H%M%S}"
    pending: list[ScanInput] = []
    for index in range(orders):
        numbers, scans = await _place(
            services, rng, merchant_id=merchant_id, order_number=f"DEMO-{run_tag}-{index + 1:05d}", now=now, index=index
        )
        result.tracking_numbers += numbers
        pending += scans
        if len(pending) >= 500:
            await record_scans(services, scans=pending, principal=scanner)
            result.scans += len(pending)
            pending = []
        progress(index + 1)
    if pending:
        await record_scans(services, scans=pending, principal=scanner)
        result.scans += len(pending)
    # The stalled-parcel job runs every minute in serve; once now, so the stalled showcase is flagged already.
    await sweep(services)
    result.suggestions = await suggestions(services, merchant_id, live=live)
    return result


async def place_fresh_order(services: Services, rng: random.Random, *, merchant_id: int) -> list[str]:
    """One more demo order, just begun (like the last showcase), with its scans; its tracking numbers."""
    now = services.clock()
    numbers, scans = await _place(
        services,
        rng,
        merchant_id=merchant_id,
        order_number=f"DEMO-{now:%y%m%d%H%M%S}-{rng.randrange(10**5):05d}",
        now=now,
        index=len(SHOWCASES) - 1,
    )
    await record_scans(services, scans=scans, principal=DEMO_SCANNER)
    return numbers


# Scans the demo records itself after the first run (no key: as the system records its own events).
DEMO_SCANNER = Principal(key_id=None, role=Role.SCANNER, name="demo scanner")
_ADMIN = Principal(key_id=None, role=Role.ADMIN, name="demo")


async def _place(
    services: Services, rng: random.Random, *, merchant_id: int, order_number: str, now: datetime, index: int
) -> tuple[list[str], list[ScanInput]]:
    """Place demo order ``index`` (a showcase for the first few); its tracking numbers and its scans so far."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, region, postal_code, country, hub = rng.choice(DESTINATIONS)
    placed_at, journey, promise = _journey(rng, now, hub, index)
    parcel_count = rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
    spec = OrderSpec(
        order_number=order_number,
        customer=Customer(name=f"{first} {last}", email=f"{first}.{last}@example.com".lower(), phone="+49 30 1234567"),
        destination=Address(
            line1=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
            city=city,
            region=region,
            postal_code=postal_code,
            country=country,
        ),
        placed_at=placed_at,
        promised_delivery_date=promise,
        parcels=tuple(ParcelSpec(weight_grams=rng.randint(200, 12000)) for _ in range(parcel_count)),
    )
    view = await place_order(services, principal=_ADMIN, spec=spec, merchant_id=merchant_id)
    numbers: list[str] = []
    scans: list[ScanInput] = []
    for position, parcel in enumerate(view.parcels):
        numbers.append(parcel.tracking_number)
        if position:  # an order's other parcels travel on their own
            journey = [step for step in _lifecycle(rng, placed_at, hub) if step.at <= now]
        scans.extend(scan_of(parcel.tracking_number, step) for step in journey)
    return numbers, scans


async def _merchant_id(services: Services, name: str) -> int:
    found = await services.db.read(lambda connection: merchant_id_by_name(connection, name))
    assert found is not None
    return found
