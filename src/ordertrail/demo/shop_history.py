"""A generated shop history with real-world structure, written in the CSV format of ``eta import-history``.

A marketplace in the United States: hundreds of sellers (origins) in every state, each with its own handling
time; destinations in every state (their own zones) and many postal areas; only three or four scans per
parcel (placed, dispatched, sometimes a hub, delivered); transit that grows with the distance between time-zone
bands; a peak season (late November to Christmas: slower and more spread), a summer strike week, and a slow
drift (the carrier gets about 10 % faster over the year). The shop promises a fixed number of business days.
Seeded: the same seed gives the same file.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Final
from zoneinfo import ZoneInfo

from ordertrail.domain.estimating.calendar import CalendarBook, DeliveryCalendar
from ordertrail.domain.estimating.history import COLUMNS
from ordertrail.domain.estimating.zones import REGION_ZONES

# State -> (time-zone band 0 east … 3 pacific, the first two digits of its ZIP codes).
STATES: Final[dict[str, tuple[int, tuple[str, ...]]]] = {
    "NY": (0, ("10", "11", "12", "13", "14")), "MA": (0, ("01", "02")), "PA": (0, ("15", "16", "17", "19")),
    "FL": (0, ("32", "33", "34")), "GA": (0, ("30", "31")), "NC": (0, ("27", "28")), "OH": (0, ("43", "44", "45")),
    "MI": (0, ("48", "49")), "VA": (0, ("22", "23")), "NJ": (0, ("07", "08")),
    "IL": (1, ("60", "61", "62")), "TX": (1, ("75", "76", "77", "78", "79")), "MN": (1, ("55", "56")),
    "MO": (1, ("63", "64", "65")), "TN": (1, ("37", "38")), "WI": (1, ("53", "54")),
    "CO": (2, ("80", "81")), "AZ": (2, ("85", "86")), "UT": (2, ("84",)),
    "CA": (3, ("90", "91", "92", "93", "94", "95")), "WA": (3, ("98", "99")), "OR": (3, ("97",)),
    "NV": (3, ("89",)),
}  # fmt: skip
PEAK: Final = ((11, 20), (12, 24))  # month, day: slower and more spread
STRIKE: Final = (date(2025, 7, 14), date(2025, 7, 20))  # hubs barely move
PROMISE_DAYS: Final = 7  # the shop promises seven business days from the order


@dataclass(frozen=True, slots=True)
class Seller:
    name: str
    state: str
    handling_days: float  # mean business days to dispatch
    cutoff_hour: int  # the carrier collects at this local hour


def _is_peak(day: date) -> bool:
    return (day.month, day.day) >= PEAK[0] and (day.month, day.day) <= PEAK[1]


def _zone(state: str) -> ZoneInfo:
    return ZoneInfo(REGION_ZONES["US"].get(state, "America/New_York"))


class ShopHistory:
    """The generator: ``rows(parcels)`` yields CSV rows in the order the shop's system would export them."""

    def __init__(self, seed: int, calendars: CalendarBook, sellers: int = 400) -> None:
        self.random = random.Random(seed)
        self.calendars = calendars
        states = list(STATES)
        weights = [len(STATES[s][1]) for s in states]
        self.sellers = [
            Seller(
                name=f"Seller {n:03d}",
                state=self.random.choices(states, weights)[0],
                handling_days=self.random.uniform(0.3, 2.5),
                cutoff_hour=self.random.choice((14, 16, 17, 18)),
            )
            for n in range(sellers)
        ]
        # A few big sellers ship most: a Zipf-like share, as on a real marketplace.
        self.seller_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(sellers)]
        self._calendars: dict[str, DeliveryCalendar] = {}

    def calendar(self, state: str) -> DeliveryCalendar:
        found = self._calendars.get(state)
        if found is None:
            found = self._calendars[state] = self.calendars.for_destination("US", region=state)
        return found

    def rows(self, parcels: int, start: date = date(2025, 1, 2), days: int = 365) -> Iterator[list[str]]:
        """``parcels`` orders placed evenly over ``days`` from ``start`` (more in the peak), one row per event."""
        rnd = self.random
        span = days * 86400
        for number in range(parcels):
            offset = rnd.random() * span
            placed = datetime.combine(start, time(0), tzinfo=UTC) + timedelta(seconds=offset)
            if _is_peak(placed.date()) is False and rnd.random() < 0.12:  # peak: more orders per day
                peak_start = datetime(start.year, *PEAK[0], tzinfo=UTC)
                placed = peak_start + timedelta(seconds=rnd.random() * 34 * 86400)
            yield from self._parcel(f"P{number:07d}", placed)

    def _parcel(self, name: str, placed: datetime) -> Iterator[list[str]]:
        rnd = self.random
        seller = rnd.choices(self.sellers, self.seller_weights)[0]
        state = rnd.choices(list(STATES), [len(v[1]) for v in STATES.values()])[0]
        zip_code = rnd.choice(STATES[state][1]) + f"{rnd.randrange(1000):03d}"
        origin_cal, dest_cal = self.calendar(seller.state), self.calendar(state)
        peak = _is_peak(placed.date())
        # Handling: business days at the seller, then the carrier's collection at its cut-off hour.
        handling = max(0, round(rnd.lognormvariate(math.log(seller.handling_days + 0.5), 0.5) - 0.5))
        local_placed = placed.astimezone(origin_cal.zone)
        day = local_placed.date()
        if local_placed.hour >= seller.cutoff_hour or not origin_cal.is_delivery_day(day):
            handling += 1
        dispatch_day = origin_cal.nth_delivery_day(day, handling)
        dispatched = datetime.combine(dispatch_day, time(seller.cutoff_hour, rnd.randrange(60)), origin_cal.zone)
        dispatched = max(dispatched, placed + timedelta(minutes=30))
        # Transit: a day plus the distance in bands, slower in the peak and the strike, faster as the year goes.
        distance = abs(STATES[seller.state][0] - STATES[state][0])
        drift = 1.0 - 0.10 * (placed.timetuple().tm_yday / 365)
        mean = (1.2 + 0.9 * distance) * drift * (1.5 if peak else 1.0)
        transit = rnd.lognormvariate(math.log(mean), 0.45 if peak else 0.3)
        if STRIKE[0] <= dispatch_day <= STRIKE[1]:
            transit += rnd.uniform(2, 4)
        arrival = dispatched + timedelta(days=transit)
        arrival_local = arrival.astimezone(dest_cal.zone)
        # Delivered on the first delivery day the van round reaches it (from the next morning if it came late).
        delivery_day = arrival_local.date()
        if arrival_local.hour >= 12 or not dest_cal.is_delivery_day(delivery_day):
            delivery_day = dest_cal.next_delivery_day(delivery_day)
        delivered = datetime.combine(delivery_day, time(rnd.randrange(9, 19), rnd.randrange(60)), dest_cal.zone)
        promised = origin_cal.nth_delivery_day(placed.astimezone(origin_cal.zone).date(), PROMISE_DAYS)
        destination = [state, zip_code, "US", promised.isoformat()]
        nowhere = ["", "", "", ""]
        yield [name, "order_placed", placed.isoformat(), "", "", "", "", *destination]
        yield [name, "dispatched", dispatched.isoformat(), seller.name, seller.state, "", "US", *nowhere]
        if rnd.random() < 0.5:  # half the parcels get a hub scan on the way
            hub = dispatched + (arrival - dispatched) * rnd.uniform(0.3, 0.6)
            yield [name, "in_transit", hub.isoformat(), f"Hub {state}", state, "", "US", *nowhere]
        yield [name, "delivered", delivered.isoformat(), "", state, zip_code, "US", *nowhere]


def write_history(out: IO[str], *, parcels: int, seed: int, calendars: CalendarBook) -> int:
    """Write a generated history of ``parcels`` parcels to ``out`` (CSV with header); returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in ShopHistory(seed, calendars).rows(parcels):
        writer.writerow(row)
        count += 1
    return count
