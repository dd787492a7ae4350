"""Time in each step, dwell per facility and dwelling now, from hand-built histories whose true figures are
written out below: skipped steps, hubs, an exception on the way, a voided scan, a regressive scan, a second
visit, scans given out of order, and a stay that ended on another local date."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ordertrail.domain.analytics.drilldown import Drilldown, parse_drilldown
from ordertrail.domain.analytics.figures import part_durations
from ordertrail.domain.analytics.journeys import ParcelRecord, journey_of
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.spans import is_dwelling, stay_of
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.stay import Stay

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
LEEDS, NORTH, SOUTH = "Leeds DC", "Hub North", "Hub South"
_count = 0


def ev(
    status: str,
    hours: float,
    facility: str | None = None,
    *,
    voids: str | None = None,
    event_id: str | None = None,
    zone: timezone = UTC,
) -> ScanEvent:
    global _count
    _count += 1
    return ScanEvent(
        event_id or f"s{_count}",
        _count,
        status,
        (T0 + timedelta(hours=hours)).astimezone(zone),
        T0 + timedelta(hours=hours, seconds=1),
        location=Location(facility=facility),
        reason="damaged" if status == "exception" else None,
        voids_event_id=voids,
    )


def record(pid: int, events: list[ScanEvent]) -> ParcelRecord:
    return ParcelRecord(pid, 1, "GB", None, [ev("order_placed", 0), *events])


def histories() -> list[ParcelRecord]:
    return [
        # 1, delivered. Steps: processing 1→3 = 2, packed 3→6 = 3, dispatched 6→10 = 4, in transit 10→20 = 10 (the
        # second hub does not end it), out for delivery 20→26 = 6. Dwell: Leeds 1→10 = 9, North 10→14 = 4,
        # South 14→20 = 6 (the driver's scan names no facility: elsewhere).
        record(
            1,
            [
                ev("processing", 1, LEEDS),
                ev("packed", 3, LEEDS),
                ev("dispatched", 6, LEEDS),
                ev("in_transit", 10, NORTH),
                ev("in_transit", 14, SOUTH),
                ev("out_for_delivery", 20),
                ev("delivered", 26),
            ],
        ),
        # 2, out for delivery. No processing step; packed 2→4 = 2; dispatched 4→12 = 8 (an exception is not on the
        # main path); in transit 12→40 = 28 (the voided South scan counts for nothing). Dwell: Leeds 2→8 = 6,
        # North 8→40 = 32; nothing at South.
        record(
            2,
            [
                ev("packed", 2, LEEDS),
                ev("dispatched", 4, LEEDS),
                ev("exception", 8, NORTH),
                ev("in_transit", 12, NORTH),
                ev("in_transit", 30, SOUTH, event_id="wrong-hub"),
                ev("correction", 31, voids="wrong-hub"),
                ev("out_for_delivery", 40),
            ],
        ),
        # 3, stuck at North since 5 (an exception there too). Dispatched 2→5 = 3; Leeds 2→5 = 3.
        record(
            3,
            [
                ev("dispatched", 2, LEEDS),
                ev("in_transit", 5, NORTH),
                ev("in_transit", 7, NORTH),
                ev("exception", 9, NORTH),
            ],
        ),
        # 4, given out of order; back at Leeds by a regressive scan at 7, then North again at 9. Dispatched 2→6 = 4
        # (the regressive packed is no step); Leeds 2→6 = 4 (its first visit only), North 6→7 = 1; waits at North
        # since 9, the start of this visit.
        record(
            4,
            [
                ev("in_transit", 9, NORTH),
                ev("packed", 7, LEEDS),
                ev("in_transit", 6, NORTH),
                ev("dispatched", 2, LEEDS),
            ],
        ),
        # 5: its dispatched step and its Leeds stay end at 30 Nov 23:30 UTC, 00:30 on 1 Dec where the hub is:
        # December's, not counted here.
        record(
            5,
            [
                ev("dispatched", 686, LEEDS),
                ev("in_transit", 687.5, NORTH, zone=timezone(timedelta(hours=1))),
            ],
        ),
    ]


def test_step_times_equal_their_hand_count() -> None:
    steps = part_durations([journey_of(r) for r in histories()], Kpi.STEP_TIMES, PERIOD)
    assert {step: (d.count, d.p50, d.p90) for step, d in steps.items()} == {
        "processing": (1, 2.0, 2.0),
        "packed": (2, 2.0, 3.0),  # [2, 3]: ranks 1 and 2
        "dispatched": (4, 4.0, 8.0),  # [3, 4, 4, 8]: ranks 2 and 4
        "in_transit": (2, 10.0, 28.0),
        "out_for_delivery": (1, 6.0, 6.0),
    }
    assert list(steps) == ["processing", "packed", "dispatched", "in_transit", "out_for_delivery"]
    december = part_durations(
        [journey_of(histories()[4])], Kpi.STEP_TIMES, Period(date(2026, 12, 1), date(2026, 12, 1))
    )
    assert (december["dispatched"].count, december["dispatched"].p50) == (1, 1.5)
    assert december["packed"].count == 0 and december["packed"].p50 is None


def test_dwell_per_facility_equals_its_hand_count() -> None:
    dwell = part_durations([journey_of(r) for r in histories()], Kpi.DWELL, PERIOD)
    assert {facility: (d.count, d.p50, d.p90) for facility, d in dwell.items()} == {
        LEEDS: (4, 4.0, 9.0),  # [3, 4, 6, 9]
        NORTH: (3, 4.0, 32.0),  # [1, 4, 32]: ranks 2 and 3
        SOUTH: (1, 6.0, 6.0),
    }


def test_the_same_figures_whatever_order_the_events_come_in() -> None:
    shuffled = []
    for r in histories():
        events = list(r.events)
        random.Random(r.parcel_id).shuffle(events)
        shuffled.append(ParcelRecord(r.parcel_id, 1, "GB", None, events))
    for kpi in (Kpi.STEP_TIMES, Kpi.DWELL):
        expected = part_durations([journey_of(r) for r in histories()], kpi, PERIOD)
        assert part_durations([journey_of(r) for r in shuffled], kpi, PERIOD) == expected


def test_where_parcels_wait_now_and_which_are_dwelling() -> None:
    journeys = {r.parcel_id: journey_of(r) for r in histories()}
    stays = {pid: j.stay for pid, j in journeys.items()}
    assert stays[1] is None  # delivered
    assert stays[2] is None  # its latest scan names no facility
    assert stays[3] == Stay(NORTH, T0 + timedelta(hours=5))
    assert stays[4] == Stay(NORTH, T0 + timedelta(hours=9))
    assert {r.parcel_id: stay_of(r.events) for r in histories()} == stays  # what the queue reads
    p90 = {LEEDS: 9.0, NORTH: 32.0, SOUTH: 6.0}
    # At North since 5: 32 h is not longer than North's p90, 32.5 h is.
    assert not is_dwelling(stays[3], p90, T0 + timedelta(hours=37))
    assert is_dwelling(stays[3], p90, T0 + timedelta(hours=37.5))
    assert not is_dwelling(stays[4], p90, T0 + timedelta(hours=37.5))
    # A facility with no measured dwell has no usual time: nothing dwells there.
    assert not is_dwelling(Stay("Nowhere Depot", T0), p90, T0 + timedelta(days=30))


def test_drilldowns_hold_exactly_the_counted_parcels() -> None:
    journeys = [journey_of(r) for r in histories()]

    def ids(drilldown: Drilldown) -> set[int]:
        return {j.parcel_id for j in journeys if drilldown.matches(j, date(2026, 12, 3))}

    assert ids(Drilldown(Kpi.STEP_TIMES, PERIOD, part="in_transit")) == {1, 2}
    assert ids(Drilldown(Kpi.STEP_TIMES, PERIOD, part="processing")) == {1}
    assert ids(Drilldown(Kpi.DWELL, PERIOD, part=NORTH)) == {1, 2, 4}
    assert ids(Drilldown(Kpi.DWELL, PERIOD, part=SOUTH)) == {1}
    assert ids(Drilldown(Kpi.DWELL, PERIOD)) == {1, 2, 3, 4}
    link = Drilldown(Kpi.DWELL, PERIOD, part=NORTH).params()
    assert ("kpi_facility", NORTH) in link
    parsed = parse_drilldown({k: [v] for k, v in link})
    assert parsed is not None and ids(parsed) == {1, 2, 4}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kpi": "dwell", "kpi_step": "packed"}, "kpi_step"),
        ({"kpi": "step_times", "kpi_step": "delivered"}, "kpi_step"),
        ({"kpi": "step_times", "kpi_facility": LEEDS}, "kpi_facility"),
        ({"kpi": "dwell", "kpi_facility": "x" * 201}, "kpi_facility"),
        ({"kpi_facility": LEEDS}, "kpi_facility"),
    ],
)
def test_bad_parts_name_their_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_drilldown({"from": ["2026-11-01"], "to": ["2026-11-30"], **{k: [v] for k, v in params.items()}})
    assert [p.field for p in raised.value.problems] == [field]
