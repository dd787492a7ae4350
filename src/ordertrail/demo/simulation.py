"""A seeded simulated parcel network: journeys (scan events) to learn delivery estimates from and to test them on.

Lanes run from three warehouses through sort hubs and gateways to destination depots. Each hop has its own
speed and noise; nothing moves on Sundays; Mondays are slower (the weekend's backlog); depots deliver only on
the destination's delivery days; incidents (weather, breakdowns) hold a hub for a day or two; some deliveries
fail and are tried again the next delivery day. The same seed gives the same journeys.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar, holidays_from
from ordertrail.domain.estimating.journey import StepVisit, step_visits
from ordertrail.domain.estimating.lanes import Lane
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.status import Status

DAY: Final = 86400.0
HOUR: Final = 3600.0
SUNDAY: Final = 6
MONDAY: Final = 0


@dataclass(frozen=True, slots=True)
class Site:
    """A warehouse, hub or depot."""

    facility: str
    city: str
    postal_code: str
    country: str
    zone: ZoneInfo

    @property
    def location(self) -> Location:
        return Location(facility=self.facility, city=self.city, postal_code=self.postal_code, country=self.country)


def _site(facility: str, city: str, postal_code: str, country: str, zone: str) -> Site:
    return Site(facility, city, postal_code, country, ZoneInfo(zone))


BERLIN, PARIS, LONDON, AMSTERDAM, NEW_YORK = (
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/London",
    "Europe/Amsterdam",
    "America/New_York",
)
ORIGINS: Final = (
    _site("Warehouse Leipzig", "Leipzig", "04129", "DE", BERLIN),
    _site("Warehouse Lyon", "Lyon", "69007", "FR", PARIS),
    _site("Warehouse Manchester", "Manchester", "M17 1AA", "GB", LONDON),
)
SORT_HUBS: Final = {  # origin country -> the hub every parcel from there goes through first
    "DE": _site("Hub Kassel", "Kassel", "34123", "DE", BERLIN),
    "FR": _site("Hub Paris-Roissy", "Roissy-en-France", "95700", "FR", PARIS),
    "GB": _site("Hub Birmingham", "Birmingham", "B46 1AL", "GB", LONDON),
}
GATEWAYS: Final = {  # destination country -> where parcels from abroad enter it
    "DE": _site("Gateway Frankfurt", "Frankfurt am Main", "60549", "DE", BERLIN),
    "FR": _site("Gateway Lille", "Lille", "59000", "FR", PARIS),
    "GB": _site("Gateway Dover", "Dover", "CT16 1JA", "GB", LONDON),
    "NL": _site("Gateway Venlo", "Venlo", "5928", "NL", AMSTERDAM),
    "US": _site("Gateway JFK", "New York", "11430", "US", NEW_YORK),
}
# (destination postal code, depot) — one lane per origin and destination area.
DESTINATIONS: Final = (
    ("10115", _site("Depot Berlin", "Berlin", "12529", "DE", BERLIN)),
    ("20095", _site("Depot Hamburg", "Hamburg", "22113", "DE", BERLIN)),
    ("80331", _site("Depot München", "München", "85609", "DE", BERLIN)),
    ("75001", _site("Depot Paris", "Paris", "75019", "FR", PARIS)),
    ("13001", _site("Depot Marseille", "Marseille", "13014", "FR", PARIS)),
    ("SW1A 1AA", _site("Depot London", "London", "SE16 4DG", "GB", LONDON)),
    ("EH1 1YZ", _site("Depot Edinburgh", "Edinburgh", "EH11 4DF", "GB", LONDON)),
    ("1012 AB", _site("Depot Amsterdam", "Amsterdam", "1043 AG", "NL", AMSTERDAM)),
    ("10001", _site("Depot Manhattan", "New York", "10001", "US", NEW_YORK)),
)
# Example public holidays of 2026 for the simulated countries (the calendar the network and estimates share).
HOLIDAYS_2026: Final = holidays_from(
    [("DE", date(2026, m, d)) for m, d in ((1, 1), (4, 3), (4, 6), (5, 1), (5, 14), (5, 25), (10, 3), (12, 25))]
    + [("FR", date(2026, m, d)) for m, d in ((1, 1), (4, 6), (5, 1), (5, 8), (5, 14), (5, 25), (7, 14), (8, 15))]
    + [("GB", date(2026, m, d)) for m, d in ((1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28))]
    + [("NL", date(2026, m, d)) for m, d in ((1, 1), (4, 3), (4, 6), (4, 27), (5, 5), (5, 14), (5, 25), (12, 25))]
    + [("US", date(2026, m, d)) for m, d in ((1, 1), (1, 19), (2, 16), (5, 25), (7, 3), (9, 7), (11, 26), (12, 25))]
)
SIMULATED_CALENDARS: Final = CalendarBook(holidays=HOLIDAYS_2026)
# The same holidays as an ORDERTRAIL_ETA_HOLIDAYS value, so a server estimates with the network's calendar.
HOLIDAYS_SETTING: Final = ",".join(f"{c}:{d}" for c in sorted(HOLIDAYS_2026) for d in sorted(HOLIDAYS_2026[c]))
INCIDENT_REASONS: Final = ("weather", "vehicle_breakdown", "capacity_delay", "strike")


@dataclass(frozen=True, slots=True)
class SimulatedParcel:
    """One parcel's whole journey."""

    tracking_number: str
    lane: Lane
    country: str
    placed_at: datetime
    delivered_at: datetime
    events: tuple[ScanEvent, ...]
    region: str | None = None  # the destination's region (its calendar's zone and holidays), when known
    promised: date | None = None  # the shop's promised delivery date, when known

    def visits(self) -> tuple[StepVisit, ...]:
        """The parcel's steps (replayed from its events)."""
        return step_visits(self.events)


@dataclass(frozen=True, slots=True)
class _Hop:
    site: Site
    hours: float  # mean travel time to reach it
    noise: float  # lognormal sigma of that time


@dataclass(frozen=True, slots=True)
class _Route:
    origin: Site
    hops: tuple[_Hop, ...]
    depot: Site
    postal_code: str
    monday_backlog: float  # chance that Monday's depot round leaves the parcel for the next day


def _local(ts: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, zone)


def _next_slot(
    ts: float, zone: ZoneInfo, hours: tuple[float, ...], skip: frozenset[int] = frozenset({SUNDAY})
) -> float:
    """The first departure at one of the local ``hours`` at or after ``ts``, on a day not in ``skip``."""
    local = _local(ts, zone)
    day = local.date()
    for _ in range(15):
        if day.weekday() not in skip:
            for hour in hours:
                slot = datetime.combine(day, time(int(hour), int(60 * (hour % 1))), tzinfo=zone).timestamp()
                if slot >= ts:
                    return slot
        day += timedelta(days=1)
    raise AssertionError("no departure within two weeks")


class Network:
    """The simulated network: routes with their own speeds, made from ``seed``."""

    def __init__(self, seed: int, calendars: CalendarBook = SIMULATED_CALENDARS) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.calendars = calendars
        self.routes: list[_Route] = []
        for origin in ORIGINS:
            for postal_code, depot in DESTINATIONS:
                self.routes.append(self._route(rng, origin, postal_code, depot))
        self._incident_days: dict[tuple[str, date], str] = {}
        self._incident_rng = random.Random(seed * 7919 + 1)

    def _route(self, rng: random.Random, origin: Site, postal_code: str, depot: Site) -> _Route:
        sort_hub = SORT_HUBS[origin.country]
        hops = [_Hop(sort_hub, rng.uniform(2, 5), rng.uniform(0.1, 0.25))]
        if depot.country == "US":
            hops.append(_Hop(GATEWAYS["US"], rng.uniform(30, 44), rng.uniform(0.15, 0.3)))
        elif depot.country != origin.country:
            hops.append(_Hop(GATEWAYS[depot.country], rng.uniform(10, 22), rng.uniform(0.15, 0.3)))
        hops.append(_Hop(depot, rng.uniform(4, 12), rng.uniform(0.1, 0.3)))
        return _Route(origin, tuple(hops), depot, postal_code, monday_backlog=rng.uniform(0.1, 0.35))

    def calendar(self, country: str) -> DeliveryCalendar:
        return self.calendars.for_destination(country)

    def _incident(self, site: Site, day: date) -> str | None:
        """Whether a hub is held up on a day (decided once per hub and day, the same for every parcel)."""
        key = (site.facility, day)
        if key not in self._incident_days:
            rng = self._incident_rng
            self._incident_days[key] = rng.choice(INCIDENT_REASONS) if rng.random() < 0.015 else ""
        return self._incident_days[key] or None

    def parcels(self, count: int, *, start: datetime, per_day: float) -> Iterator[SimulatedParcel]:
        """``count`` parcels placed from ``start`` on, about ``per_day`` a day, in the order they were placed."""
        rng = random.Random(self.seed * 31 + 17)
        placed = start.timestamp()
        for index in range(count):
            placed += rng.expovariate(per_day / DAY)
            route = rng.choice(self.routes)
            yield self._journey(rng, index, route, placed)

    def _journey(self, rng: random.Random, index: int, route: _Route, placed: float) -> SimulatedParcel:
        number = f"SIM{self.seed:03d}{index:07d}"
        events: list[ScanEvent] = []

        def scan(status: Status, site: Site, ts: float, reason: str | None = None) -> float:
            at = _local(math.floor(ts), site.zone)
            events.append(
                ScanEvent(
                    event_id=f"{number}-{len(events)}",
                    sequence=len(events) + 1,
                    status=status,
                    occurred_at=at,
                    recorded_at=at,
                    location=site.location,
                    reason=reason,
                )
            )
            return ts

        origin = route.origin
        t = scan(Status.ORDER_PLACED, origin, placed)
        # The warehouse works 07:00-21:00 Monday to Saturday; trucks leave at 18:00 (Saturday 13:00).
        start = t + rng.expovariate(1 / (2 * HOUR))
        if _closed(start, origin.zone):
            start = _next_slot(start, origin.zone, (7,)) + rng.uniform(0, 1.5) * HOUR
        t = scan(Status.PROCESSING, origin, start)
        t = scan(Status.PACKED, origin, t + rng.uniform(0.3, 3.5) * HOUR)
        t = scan(Status.DISPATCHED, origin, _truck(t + HOUR, origin.zone))
        for hop in route.hops:
            t += hop.hours * HOUR * rng.lognormvariate(0, hop.noise)
            t = scan(Status.IN_TRANSIT, hop.site, t)
            if hop.site is route.depot:
                break
            # Sorting takes two hours; line hauls leave at 04:00 and 22:00, never on Sundays.
            departure = _next_slot(t + 2 * HOUR, hop.site.zone, (4, 22))
            if _local(departure, hop.site.zone).weekday() == MONDAY and rng.random() < 0.3:
                departure = _next_slot(departure + HOUR, hop.site.zone, (4, 22))  # Monday backlog
            reason = self._incident(hop.site, _local(departure, hop.site.zone).date())
            if reason is None and rng.random() < 0.01:
                reason = "missed_connection"
            if reason is not None:
                scan(Status.EXCEPTION, hop.site, departure, reason=reason)
                departure = _next_slot(departure + rng.uniform(20, 44) * HOUR, hop.site.zone, (4, 22))
                t = scan(Status.IN_TRANSIT, hop.site, departure - HOUR)  # back on its way: scanned at loading
            t = departure
        calendar = self.calendar(route.depot.country)
        t = self._deliver(rng, route, calendar, t, scan)
        return SimulatedParcel(
            tracking_number=number,
            lane=Lane.of(origin.facility, route.depot.country, route.postal_code),
            country=route.depot.country,
            placed_at=events[0].occurred_at,
            delivered_at=events[-1].occurred_at,
            events=tuple(events),
        )

    def _deliver(self, rng: random.Random, route: _Route, calendar: DeliveryCalendar, t: float, scan: _Scan) -> float:
        """Vans leave the depot at 07:30 on delivery days with what arrived by 05:30."""
        depot = route.depot
        zone = depot.zone
        day = _local(t + 2 * HOUR, zone).date()
        if _local(t + 2 * HOUR, zone).time() > time(7, 30):
            day += timedelta(days=1)
        attempts = 0
        while True:
            while not calendar.is_delivery_day(day):
                day += timedelta(days=1)
            if day.weekday() == MONDAY and rng.random() < route.monday_backlog:
                day += timedelta(days=1)
                continue
            if rng.random() < 0.03:  # the van was full
                day += timedelta(days=1)
                continue
            out = datetime.combine(day, time(7, 30), tzinfo=zone).timestamp() + rng.uniform(0, 40) * 60
            scan(Status.OUT_FOR_DELIVERY, depot, out)
            drop = out + min(rng.lognormvariate(math.log(4), 0.45), 11.5) * HOUR
            if attempts == 0 and rng.random() < 0.04:
                scan(Status.DELIVERY_ATTEMPTED, depot, drop, reason=rng.choice(("nobody_home", "access_problem")))
                attempts += 1
                day += timedelta(days=1)
                continue
            return scan(Status.DELIVERED, depot, drop)


class _Scan(Protocol):  # the shape of the ``scan`` closure in ``_journey``
    def __call__(self, status: Status, site: Site, ts: float, reason: str | None = None) -> float: ...


def _closed(ts: float, zone: ZoneInfo) -> bool:
    local = _local(ts, zone)
    return local.weekday() == SUNDAY or not 7 <= local.hour < 21


def _truck(ts: float, zone: ZoneInfo) -> float:
    """The first truck after ``ts``: 18:00 on weekdays, 13:00 on Saturdays."""
    local = _local(ts, zone)
    day = local.date()
    for _ in range(8):
        hour = 13 if day.weekday() == 5 else 18
        if day.weekday() != SUNDAY:
            slot = datetime.combine(day, time(hour), tzinfo=zone).timestamp()
            if slot >= ts:
                return slot
        day += timedelta(days=1)
    raise AssertionError("no truck within a week")


def simulate(
    *, parcels: int, seed: int, start: datetime | None = None, per_day: float = 120.0
) -> list[SimulatedParcel]:
    """``parcels`` delivered journeys on the network of ``seed``, placed from ``start`` (default 5 Jan 2026)."""
    network = Network(seed)
    begin = start or datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))
    return list(network.parcels(parcels, start=begin, per_day=per_day))
