"""The figures from hand-built event sequences: voided events, early and late deliveries, no promise, attempts,
exceptions, local dates, and drill-downs that hold exactly the counted parcels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ordertrail.domain.analytics.drilldown import Drilldown, parse_drilldown
from ordertrail.domain.analytics.figures import report
from ordertrail.domain.analytics.journeys import Lane, ParcelRecord, journey_of
from ordertrail.domain.analytics.kpis import Kpi, Outcome
from ordertrail.domain.analytics.period import Period, parse_period
from ordertrail.domain.analytics.stats import nearest_rank
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.events import Location, ScanEvent

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 12, 3)
_count = 0


def ev(
    status: str,
    hours: float,
    *,
    facility: str | None = "Leeds DC",
    reason: str | None = None,
    voids: str | None = None,
    zone: timezone = UTC,
    event_id: str | None = None,
) -> ScanEvent:
    global _count
    _count += 1
    at = (T0 + timedelta(hours=hours)).astimezone(zone)
    return ScanEvent(
        event_id or f"e{_count}",
        _count,
        status,
        at,
        T0 + timedelta(hours=hours, seconds=1),
        location=Location(facility=facility),
        reason=reason,
        voids_event_id=voids,
    )


def record(pid: int, events: list[ScanEvent], promised: date | None = None, country: str = "GB") -> ParcelRecord:
    return ParcelRecord(pid, 1, country, promised, [ev("order_placed", 0, facility=None), *events])


def journeys() -> list[ParcelRecord]:
    return [
        # 1: early, first attempt, 24 h in transit.
        record(1, [ev("dispatched", 2), ev("out_for_delivery", 20), ev("delivered", 26)], date(2026, 11, 4)),
        # 2: late (delivered 5 Nov, promised 3 Nov) after a failed attempt; 72 h in transit.
        record(
            2,
            [ev("dispatched", 2), ev("delivery_attempted", 40, reason="nobody_home"), ev("delivered", 74)],
            date(2026, 11, 3),
        ),
        # 3: a delivery voided by a correction: not delivered; still open and past its promise; an exception.
        record(
            3,
            [
                ev("dispatched", 2),
                ev("exception", 10, reason="damaged"),
                ev("delivered", 30, event_id="d3"),
                ev("correction", 31, voids="d3"),
            ],
            date(2026, 11, 4),
        ),
        # 4: no promise; to NL, delivered 22:30 UTC = 23:30 at +01:00 on 2 Nov.
        record(4, [ev("dispatched", 2), ev("delivered", 14.5, zone=timezone(timedelta(hours=1)))], None, "NL"),
        # 5: a voided exception does not count; delivered on time on the promised day.
        record(
            5,
            [
                ev("dispatched", 2),
                ev("exception", 5, reason="lost", event_id="x5"),
                ev("correction", 6, voids="x5"),
                ev("delivered", 8),
            ],
            date(2026, 11, 2),
        ),
    ]


def test_every_figure_equals_its_hand_count() -> None:
    result = report((journey_of(r) for r in journeys()), PERIOD, TODAY)
    total = result.total
    assert (total.rates[Kpi.ON_TIME_VS_PROMISE].numerator, total.rates[Kpi.ON_TIME_VS_PROMISE].denominator) == (2, 3)
    assert total.late_open == 1
    # Went out for delivery before delivering: 1 (out) and 2 (an attempt); 2 failed first.
    assert (total.rates[Kpi.FIRST_ATTEMPT].numerator, total.rates[Kpi.FIRST_ATTEMPT].denominator) == (1, 2)
    assert (total.rates[Kpi.EXCEPTIONS].numerator, total.rates[Kpi.EXCEPTIONS].denominator) == (1, 5)
    assert {r: (v.numerator, v.denominator) for r, v in total.by_reason[Kpi.EXCEPTIONS].items()} == {"damaged": (1, 5)}
    assert total.by_reason[Kpi.FAILED_ATTEMPTS]["nobody_home"].numerator == 1
    dispatch = total.transits[Kpi.TRANSIT_FROM_DISPATCH]
    assert dispatch.count == 4  # 1, 2, 4, 5: hours 24, 72, 12.5, 6
    assert (dispatch.p50, dispatch.p90, dispatch.mean) == (12.5, 72.0, (24 + 72 + 12.5 + 6) / 4)
    assert total.transits[Kpi.TRANSIT_FROM_ORDER].p50 == 14.5
    assert set(result.lanes) == {Lane("Leeds DC", "GB"), Lane("Leeds DC", "NL")}
    assert result.lanes[Lane("Leeds DC", "NL")].rates[Kpi.ON_TIME_VS_PROMISE].denominator == 0


def test_the_local_date_decides_the_period() -> None:
    # Delivered 30 Nov 23:30 at +01:00 (22:30 UTC) is November's; 1 Dec 00:30 at +01:00 is December's.
    zone = timezone(timedelta(hours=1))
    late_evening = T0.replace(day=30, hour=22, minute=30) - T0
    after_midnight = late_evening + timedelta(hours=1)
    for offset, expected in ((late_evening, 1), (after_midnight, 0)):
        hours = offset.total_seconds() / 3600
        one = journey_of(record(9, [ev("dispatched", 1), ev("delivered", hours, zone=zone)], date(2026, 12, 1)))
        assert report([one], PERIOD, TODAY).total.rates[Kpi.ON_TIME_VS_PROMISE].denominator == expected


def test_drilldowns_hold_exactly_the_counted_parcels() -> None:
    all_journeys = [journey_of(r) for r in journeys()]

    def ids(drilldown: Drilldown) -> set[int]:
        return {j.parcel_id for j in all_journeys if drilldown.matches(j, TODAY)}

    assert ids(Drilldown(Kpi.ON_TIME_VS_PROMISE, PERIOD)) == {1, 2, 5}
    assert ids(Drilldown(Kpi.ON_TIME_VS_PROMISE, PERIOD, Outcome.LATE)) == {2}
    assert ids(Drilldown(Kpi.LATE_OPEN, PERIOD)) == {3}
    assert ids(Drilldown(Kpi.EXCEPTIONS, PERIOD, Outcome.EXCEPTION, reason="damaged")) == {3}
    assert ids(Drilldown(Kpi.EXCEPTIONS, PERIOD, Outcome.EXCEPTION, reason="lost")) == set()
    assert ids(Drilldown(Kpi.TRANSIT_FROM_DISPATCH, PERIOD, origin="-")) == set()
    parsed = parse_drilldown({k: [v] for k, v in Drilldown(Kpi.FIRST_ATTEMPT, PERIOD, Outcome.FIRST_ATTEMPT).params()})
    assert parsed is not None and ids(parsed) == {1}


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 11)]
    assert (nearest_rank(values, 50), nearest_rank(values, 90), nearest_rank(values, 70)) == (5.0, 9.0, 7.0)
    assert nearest_rank([3.0], 90) == 3.0
    with pytest.raises(ValueError):
        nearest_rank([], 50)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-13-01", "2026-12-01", "from"),
        ("2026-12-02", "2026-12-01", "from"),
        ("2025-01-01", "2026-12-01", "to"),
        ("2026-12-01", None, "to"),
    ],
)
def test_bad_periods_name_their_field(start: str, end: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(start, end)
    assert raised.value.problems[0].field == field
