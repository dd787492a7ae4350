"""When a handed-over parcel counts as not picked up: the lane's learned window, else the default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordertrail.domain.couriers.reconciliation import (
    PICKUP_DEFAULT,
    before_dispatch,
    early_mark,
    pickup_due,
    pickup_window,
)
from ordertrail.domain.estimating.histograms import HourHistogram
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.services.couriers.reconciliation import lane_window

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _stats(lane: Lane, hours: list[float]) -> LaneStats:
    histogram = HourHistogram()
    for h in hours:
        histogram.add(h)
    return LaneStats(waits={lane.fallbacks()[0][1]: {"dispatched": histogram}})


def test_the_window_is_the_lanes_p95_wait_after_dispatch_once_it_has_enough_parcels() -> None:
    lane = Lane("Hub North", "GB", "LS")
    learned = lane_window(_stats(lane, [6.0] * 95 + [30.0] * 5), lane, min_samples=30)
    assert timedelta(hours=5) < learned < timedelta(hours=13)  # most couriers came within 6 hours
    # Too few parcels on the lane (and none on its coarser levels): the documented default.
    assert lane_window(_stats(lane, [6.0] * 10), lane, min_samples=30) == PICKUP_DEFAULT
    assert lane_window(None, Lane(ANY, "GB", "LS"), min_samples=30) == PICKUP_DEFAULT


def test_the_window_is_never_under_an_hour_and_runs_from_the_later_of_dispatch_and_handover() -> None:
    assert pickup_window(0.1) == timedelta(hours=1)
    assert pickup_window(None) == PICKUP_DEFAULT == timedelta(hours=24)
    window = timedelta(hours=6)
    assert pickup_due(dispatched_at=AT, handed_over_at=AT - timedelta(hours=1), window=window) == AT + window
    later = AT + timedelta(days=2)
    assert pickup_due(dispatched_at=AT, handed_over_at=later, window=window) == later + window


def test_a_courier_event_before_the_dispatch_scan_is_early() -> None:
    assert before_dispatch(AT - timedelta(seconds=1), AT)
    assert not before_dispatch(AT, AT)
    assert not before_dispatch(AT - timedelta(days=1), None)  # not dispatched by a scan: nothing to compare


def test_a_handovers_early_mark_is_its_couriers_earliest_event_when_that_is_before_dispatch() -> None:
    assert early_mark(AT - timedelta(minutes=5), AT) == AT - timedelta(minutes=5)
    assert early_mark(AT, AT) is None  # at the dispatch time is not before it
    assert early_mark(AT + timedelta(hours=1), AT) is None
    assert early_mark(None, AT) is None  # no courier event yet
    assert early_mark(AT - timedelta(days=1), None) is None  # no dispatch scan yet
