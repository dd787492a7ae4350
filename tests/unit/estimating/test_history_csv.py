"""Reading a shop's delivery history (CSV): good rows become journeys, every kind of bad row is reported with
its line number and reason and skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.estimating.history import HistoryFormatError, iter_lines, read_history
from ordertrail.domain.estimating.journey import step_visits
from ordertrail.domain.scanning.derivation import order_key
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status

HEADER = (
    "parcel,status,occurred_at,facility,region,postal_code,country,"
    "destination_region,destination_postal_code,destination_country,promised_date"
)


def read(*rows: str, header: str = HEADER):  # type: ignore[no-untyped-def]
    return read_history(iter_lines(iter([header + "\n", *(r + "\n" for r in rows)])))


GOOD = (
    "A1,order_placed,2026-03-09T10:00:00+01:00,,,,,BY,80331,DE,2026-03-13",
    "A1,dispatched,2026-03-09T18:00:00+01:00,Warehouse Leipzig,SN,04109,DE,,,,",
    "A1,in_transit,2026-03-10T04:00:00+01:00,Hub Munich,BY,,DE,,,,",
    "A1,delivered,2026-03-11T11:00:00+01:00,,BY,80331,DE,,,,",
)


def test_a_good_parcel_becomes_a_journey_with_its_lane_promise_and_steps() -> None:
    result = read(*GOOD)
    assert result.rows == 4 and result.bad_rows == [] and result.undelivered == 0
    (parcel,) = result.parcels
    assert parcel.tracking_number == "A1"
    assert (parcel.lane.origin, parcel.lane.country, parcel.lane.area) == ("Warehouse Leipzig", "DE", "80")
    assert (parcel.country, parcel.region, parcel.promised) == ("DE", "BY", date(2026, 3, 13))
    assert [v.step for v in parcel.visits()] == ["order_placed", "dispatched", "in_transit.1", "delivered"]
    assert parcel.placed_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    assert parcel.delivered_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


def test_rows_may_come_in_any_order_with_the_destination_on_any_row_and_unknown_columns_ignored() -> None:
    header = "carrier," + HEADER.replace(",promised_date", "")
    result = read(
        "DHL,B7,delivered,2026-03-11T11:00:00Z,,,,,,,FR",
        "DHL,B7,dispatched,2026-03-09T18:00:00Z,Lyon,,,FR,,75011,",
        "DHL,B7,order_placed,2026-03-09T10:00:00Z,,,,,,,",
        header=header,
    )
    assert result.bad_rows == []
    (parcel,) = result.parcels
    assert (parcel.lane.name, parcel.promised) == ("Lyon>FR-75", None)
    assert [v.step for v in parcel.visits()] == ["order_placed", "dispatched", "delivered"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("A1,dispatched,2026-03-09T18:00:00+01:00", "3 fields where the header has 11"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,,,,extra", "12 fields where the header has 11"),
        (",dispatched,2026-03-09T18:00:00+01:00,,,,,,,,", "parcel is empty"),
        ("A1,shipped,2026-03-09T18:00:00+01:00,,,,,,,,", "status 'shipped' is not one of ordertrail's statuses"),
        ("A1,correction,2026-03-09T18:00:00+01:00,,,,,,,,", "status 'correction' is not one of"),
        ("A1,dispatched,09/03/2026 18:00,,,,,,,,", "occurred_at '09/03/2026 18:00' is not an RFC 3339 date-time"),
        ("A1,dispatched,2026-03-09T18:00:00,,,,,,,,", "occurred_at '2026-03-09T18:00:00' has no UTC offset"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,Germany,,,,", "country 'Germany' is not a two-letter"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,,D1,", "destination_country 'D1' is not a two-letter"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,,,13.03.2026", "promised_date '13.03.2026' is not YYYY-MM-DD"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,,AT,", "destination_country AT contradicts DE given earlier"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,,,2026-03-20", "promised_date 2026-03-20 contradicts"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,HH,,,", "destination_region HH contradicts BY"),
        ("A1,dispatched,2026-03-09T18:00:00+01:00,,,,,,20095,,", "destination_postal_code 20095 contradicts 80331"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_reason_and_the_parcel_keeps_its_good_rows(
    row: str, reason: str
) -> None:
    result = read(GOOD[0], row, *GOOD[1:])
    assert [(b.line, b.reason[: len(reason)]) for b in result.bad_rows] == [(3, reason)]
    assert result.rows == 5
    (parcel,) = result.parcels  # the good rows still make the journey, unchanged
    assert [v.step for v in parcel.visits()] == ["order_placed", "dispatched", "in_transit.1", "delivered"]
    assert (parcel.country, parcel.promised) == ("DE", date(2026, 3, 13))


def test_a_repeated_row_is_reported_once_and_counted_once() -> None:
    result = read(*GOOD, GOOD[2])
    assert [(b.line, b.reason) for b in result.bad_rows] == [(6, "the same in_transit at the same time as line 4")]
    assert [v.step for v in result.parcels[0].visits()] == ["order_placed", "dispatched", "in_transit.1", "delivered"]


def test_parcel_level_problems_are_reported_at_the_parcel_s_first_row() -> None:
    result = read(
        "C1,order_placed,2026-03-09T10:00:00Z,,,,,,,,",
        "C1,delivered,2026-03-11T10:00:00Z,,,,,,,,",  # no destination anywhere
        "D1,delivered,2026-03-11T10:00:00Z,,,,,,,FR,",  # nothing but its delivery
        "E1,order_placed,2026-03-09T10:00:00Z,,,,,,,FR,",  # still on its way: left aside, not bad
        "E1,dispatched,2026-03-10T10:00:00Z,Lyon,,,,,,,",
    )
    assert [(b.line, b.reason) for b in result.bad_rows] == [
        (2, "parcel 'C1' has no destination_country on any row"),
        (4, "parcel 'D1' has only its delivery: nothing to learn"),
    ]
    assert result.parcels == [] and result.undelivered == 1


def test_blank_lines_a_byte_order_mark_and_spaces_after_commas_are_fine() -> None:
    lines = ["\ufeff" + HEADER + "\n", "\n", *(r.replace(",", ", ") + "\n" for r in GOOD), "\n"]
    result = read_history(iter_lines(iter(lines)))
    assert result.rows == 4 and result.bad_rows == []
    assert result.parcels[0].lane.origin == "Warehouse Leipzig"


@pytest.mark.parametrize(
    ("lines", "message"),
    [([], "the file is empty"), (["parcel,when,status\n"], "the header has no occurred_at column")],
)
def test_a_file_without_a_usable_header_is_refused(lines: list[str], message: str) -> None:
    with pytest.raises(HistoryFormatError, match=message):
        read_history(iter_lines(iter(lines)))


statuses = st.sampled_from([s for s in Status] + [Status.IN_TRANSIT] * 3)


@given(st.lists(st.tuples(statuses, st.integers(0, 40)), min_size=1, max_size=8))
def test_the_steps_read_are_those_the_replay_rules_give(moves: list[tuple[Status, int]]) -> None:
    # The reader takes a fast path for journeys that only move forward along the main milestones; whatever the
    # events, its steps are those of ``step_visits`` (the status replay).
    start = datetime(2026, 3, 9, tzinfo=UTC)
    rows = [f"P,{s.value},{(start + timedelta(hours=h)).isoformat()},,,,,,,DE," for s, h in moves]
    result = read(*rows)
    # The reader puts the rows in replay order (order_key: time, lifecycle, arrival = line number) and drops a
    # row that repeats the (status, time) of the one just before it in that order: so does this, by the replay
    # rules' own order (never a set's, whose order of equal-time events would change from run to run).
    rows_as_events = sorted(
        (
            ScanEvent(str(n), n, s, start + timedelta(hours=h), start + timedelta(hours=h))
            for n, (s, h) in enumerate(moves)
        ),
        key=order_key,
    )
    events = [
        e
        for i, e in enumerate(rows_as_events)
        if i == 0 or (e.status, e.occurred_at) != (rows_as_events[i - 1].status, rows_as_events[i - 1].occurred_at)
    ]
    expected = step_visits(events)
    if result.parcels:
        assert result.parcels[0].steps == expected
    else:
        assert not expected or expected[-1].step != "delivered" or len(expected) < 2
