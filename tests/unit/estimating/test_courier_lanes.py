"""A parcel handed to a courier: its lane's first key is that lane by the courier's service level, backing off to
the plain lane when the courier lane has too little history. Known answers on a hand-built history where one
courier's express is a delivery day faster than another's standard on the same lane."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ordertrail.domain.estimating import CalendarBook, Lane, LaneLevel, LaneStats, estimate, step_visits
from ordertrail.domain.estimating.lanes import MAX_KEY, courier_key
from ordertrail.domain.scanning.status import Status
from tests.unit.estimating.factories import journey

CALENDAR = CalendarBook().for_destination("DE")
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # placed 09:00 in Berlin; no German holiday in the weeks used
# placed -> dispatched 2 h later (11:00 local) -> a hub at 17:00 -> out for delivery the next morning -> delivered
# at 10:00 on Tuesday: seen dispatched at 15:00 local on Monday, the band it is estimated in below
EXPRESS = [2.0, 6.0, 15.0, 2.0]
STANDARD = [2.0, 6.0, 39.0, 2.0]  # the same, a day later at the last step: delivered on Wednesday
STEPS = (Status.ORDER_PLACED, Status.DISPATCHED, Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY, Status.DELIVERED)


def lane(courier: str | None = None, service_level: str | None = None) -> Lane:
    return Lane.of("Warehouse A", "DE", "10115", courier=courier, service_level=service_level)


def history(parcels: int = 40) -> LaneStats:
    """``parcels`` handed to X express and as many to Y standard, placed on Mondays (one a week, each pair the
    same week), all on the same road."""
    stats = LaneStats()
    for n in range(parcels):
        start = MONDAY - timedelta(days=7 * (n + 1))
        for who, gaps in ((lane("x", "express"), EXPRESS), (lane("y", "standard"), STANDARD)):
            events = journey(start, gaps, statuses=STEPS, tag=f"{who.courier}-{n}")
            stats.learn_delivered(who, step_visits(events), CALENDAR)
    return stats


def window_at_dispatch(stats: LaneStats, of: Lane) -> tuple[date, date, str]:
    events = journey(MONDAY, EXPRESS, statuses=STEPS)[:2]  # placed, dispatched at 10:00 UTC; nothing more yet
    found = estimate(stats, of, events, CALENDAR, events[-1].occurred_at + timedelta(hours=1))
    assert found is not None
    return found.earliest, found.latest, found.basis


def test_a_couriers_lane_comes_first_and_the_rest_is_the_plain_lanes_chain() -> None:
    plain = lane().fallbacks()
    assert lane("dhl", "Express ").fallbacks() == ((LaneLevel.COURIER, "courier:dhl/express|Warehouse A>DE-10"), *plain)
    # Without a service level the courier still has its own key, not a guess at one.
    assert lane("dhl").fallbacks()[0] == (LaneLevel.COURIER, "courier:dhl|Warehouse A>DE-10")
    # Service levels are words: case and spacing aside, the same service is the same key.
    assert courier_key("dhl", "Next  Day", "a>b") == courier_key("DHL", " next day", "a>b")
    # A lane without a courier keeps exactly its keys of before.
    assert [k for _, k in plain] == ["Warehouse A>DE-10", "*>DE-10", "Warehouse A>DE", "*>DE", "*"]
    # The longest facility name, courier code and service level still give one key that fits the store's column.
    code = "c" * 32
    long = Lane.of("W" * 200, "DE", "10115", courier=code, service_level="s" * 64).fallbacks()[0][1]
    assert len(long) <= MAX_KEY and long.startswith(f"courier:{code}#")
    assert long != Lane.of("W" * 200, "DE", "10115", courier=code, service_level="t" * 64).fallbacks()[0][1]


def test_express_gets_the_faster_window_standard_the_slower_one_and_a_new_courier_the_plain_lanes() -> None:
    stats = history()
    tuesday, wednesday = date(2026, 3, 3), date(2026, 3, 4)
    assert window_at_dispatch(stats, lane("x", "express")) == (tuesday, tuesday, "courier")
    assert window_at_dispatch(stats, lane("y", "standard")) == (wednesday, wednesday, "courier")
    # Courier z has no history: its parcels get the lane's window, learned from x's and y's parcels together.
    assert window_at_dispatch(stats, lane("z", "express")) == (tuesday, wednesday, "lane")
    assert window_at_dispatch(stats, lane()) == (tuesday, wednesday, "lane")
    # Another service of a known courier is another lane too: x's standard has no history of its own.
    assert window_at_dispatch(stats, lane("x", "standard")) == (tuesday, wednesday, "lane")


def test_a_courier_lane_below_the_minimum_samples_backs_off_to_the_plain_lane() -> None:
    stats = history(parcels=20)  # 20 parcels each: the courier lanes are short of 30, the lane has 40
    tuesday, wednesday = date(2026, 3, 3), date(2026, 3, 4)
    assert window_at_dispatch(stats, lane("x", "express")) == (tuesday, wednesday, "lane")
    assert window_at_dispatch(stats, lane("y", "standard")) == (tuesday, wednesday, "lane")
