"""The transit in delivery days, from hand-built parcels: the days after the start's local date up to and
including the delivery's, counted with the destination's calendar (weekends and holidays are no delivery days),
each date where it happened; the same parcels as the hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ordertrail.domain.analytics.figures import report
from ordertrail.domain.analytics.journeys import ParcelRecord, journey_of
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.estimating.calendar import DeliveryCalendar
from tests.unit.analytics.test_figures import T0, ev, record

# T0 is Monday 2026-11-02 08:00 UTC. Christmas 2026 is a Friday.
CALENDAR = DeliveryCalendar(zone=ZoneInfo("Europe/London"), holidays=(date(2026, 12, 25),))
PERIOD = Period(date(2026, 11, 1), date(2026, 12, 31))
NEW_YORK = timezone(timedelta(hours=-5))


def hours_to(moment: datetime) -> float:
    return (moment - T0).total_seconds() / 3600


def parcels() -> list[ParcelRecord]:
    christmas_eve = hours_to(datetime(2026, 12, 24, 10, tzinfo=UTC))
    return [
        # 1: dispatched and delivered on Monday: 0 days (24.0 h after the order, same day: 0 from the order too).
        record(1, [ev("dispatched", 1), ev("delivered", 9)]),
        # 2: Thursday 24 Dec to Monday 28 Dec: Friday is Christmas, then the weekend: 1 delivery day.
        record(2, [ev("dispatched", christmas_eve), ev("delivered", christmas_eve + 96)]),
        # 3: dispatched Thursday 5 Nov, delivered Sunday 8 Nov 23:30 at -05:00 (Monday 04:30 UTC): Friday only.
        record(
            3,
            [ev("dispatched", 72), ev("delivered", hours_to(datetime(2026, 11, 9, 4, 30, tzinfo=UTC)), zone=NEW_YORK)],
        ),
        # 4: Monday to Monday a week later: 5.
        record(4, [ev("dispatched", 2), ev("delivered", 24 * 7 + 2)]),
    ]


def test_delivery_days_with_the_destination_calendar() -> None:
    journeys = [journey_of(r, CALENDAR) for r in parcels()]
    assert [j.days_from_dispatch for j in journeys] == [0, 1, 1, 5]
    # From the order (placed Monday 2 Nov 08:00): 0, then Tue 3 Nov .. Mon 28 Dec less weekends and Christmas.
    assert [j.days_from_order for j in journeys] == [0, 39, 4, 5]
    total = report(journeys, PERIOD, date(2027, 1, 5)).total
    days = total.transit_days[Kpi.TRANSIT_FROM_DISPATCH]
    assert (days.count, days.p50, days.p90, days.mean) == (4, 1, 5, 7 / 4)
    assert days.count == total.transits[Kpi.TRANSIT_FROM_DISPATCH].count
    assert total.transit_days[Kpi.TRANSIT_FROM_ORDER].p90 == 39


def test_no_calendar_or_no_dispatch_counts_no_days() -> None:
    uncounted = journey_of(record(5, [ev("dispatched", 1), ev("delivered", 30)]))  # no calendar given
    assert uncounted.days_from_dispatch is None
    undispatched = journey_of(record(6, [ev("delivered", 30)]), CALENDAR)
    assert (undispatched.days_from_dispatch, undispatched.days_from_order) == (None, 1)
    clocks_disagree = journey_of(record(7, [ev("dispatched", 40), ev("delivered", 30)]), CALENDAR)
    assert clocks_disagree.days_from_dispatch is None  # dispatched after the delivery, as the hours
