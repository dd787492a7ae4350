"""The estimator: windows from lane history, fallbacks to coarser lanes and to defaults, the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrail.domain.estimating import (
    CalendarBook,
    EstimatePolicy,
    Lane,
    LaneLevel,
    LaneStats,
    estimate,
    estimate_from_visits,
    step_visits,
    visits_of,
)
from ordertrail.domain.estimating.defaults import STANDARD, DefaultsBook
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import MAIN_MILESTONES, Status
from tests.unit.estimating.factories import MAIN_PATH, journey

BOOK = CalendarBook(holidays={"DE": frozenset({date(2026, 4, 3), date(2026, 4, 6)})})
BERLIN = BOOK.for_destination("DE")
LANE = Lane.of("Warehouse A", "DE", "10115")
MONDAY_9 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
# Ordered Monday morning; dispatched Monday evening; two hubs overnight; out and delivered on Wednesday.
USUAL_GAPS = (1.0, 2.0, 6.0, 8.0, 20.0, 10.0, 4.0)


def learned(count: int, *, lane: Lane = LANE, gaps: tuple[float, ...] = USUAL_GAPS) -> LaneStats:
    stats = LaneStats()
    for week in range(count):
        events = journey(MONDAY_9 + timedelta(weeks=week % 4), gaps, tag=f"h{week}")
        stats.learn_delivered(lane, step_visits(events), BERLIN)
    return stats


def test_a_parcel_on_a_learned_lane_gets_the_learned_day() -> None:
    stats = learned(40)
    events = journey(MONDAY_9 + timedelta(weeks=5), USUAL_GAPS, tag="x")
    now = events[4].occurred_at + timedelta(hours=1)  # at the first hub, Tuesday ~04:00
    result = estimate(stats, LANE, events, BERLIN, now)
    assert result is not None
    assert result.basis == LaneLevel.LANE
    assert result.earliest == result.latest == result.likely == date(2026, 4, 8)  # Wednesday
    assert result.confidence == 1.0
    assert result.step == "in_transit.1"


def test_a_late_hub_scan_moves_the_estimate_later() -> None:
    stats = learned(40)
    on_time = journey(MONDAY_9 + timedelta(weeks=5), USUAL_GAPS, tag="x")
    late = journey(MONDAY_9 + timedelta(weeks=5), (1.0, 2.0, 6.0, 32.0, 20.0, 10.0, 4.0), tag="y")
    first = estimate(stats, LANE, on_time[:5], BERLIN, on_time[4].occurred_at + timedelta(hours=1))
    second = estimate(stats, LANE, late[:5], BERLIN, late[4].occurred_at + timedelta(hours=1))
    assert first is not None and second is not None
    assert second.earliest > first.earliest


def test_a_parcel_waiting_longer_than_usual_is_expected_later() -> None:
    stats = learned(40)
    events = journey(MONDAY_9 + timedelta(weeks=5), USUAL_GAPS, tag="x")[:5]
    soon = estimate(stats, LANE, events, BERLIN, events[-1].occurred_at + timedelta(hours=1))
    stuck = estimate(stats, LANE, events, BERLIN, events[-1].occurred_at + timedelta(days=3))
    assert soon is not None and stuck is not None
    assert stuck.earliest > soon.latest


def test_thin_lanes_fall_back_from_fine_to_coarse_then_to_defaults() -> None:
    stats = learned(40)
    events = journey(MONDAY_9 + timedelta(weeks=5), USUAL_GAPS, tag="x")[:5]
    now = events[-1].occurred_at + timedelta(hours=1)

    def basis(lane: Lane, min_samples: int = 30) -> str:
        found = estimate(stats, lane, events, BERLIN, now, policy=EstimatePolicy(min_samples=min_samples))
        assert found is not None
        return found.basis

    assert basis(Lane.of("Warehouse A", "DE", "10115")) == "lane"
    assert basis(Lane.of("Warehouse A", "DE", "80331")) == "origin_country"
    assert basis(Lane.of("Warehouse B", "DE", "80331")) == "country"
    assert basis(Lane.of("Warehouse B", "FR", "75001")) == "network"
    assert basis(LANE, min_samples=1000) == "default"


def test_no_history_uses_the_configured_days_per_step() -> None:
    events = journey(MONDAY_9, USUAL_GAPS)[:4]  # dispatched Monday evening
    result = estimate(LaneStats(), LANE, events, BERLIN, events[-1].occurred_at)
    assert result is not None and result.basis == "default" and result.samples == 0
    low, high = STANDARD.window("dispatched")
    assert result.earliest == BERLIN.nth_delivery_day(date(2026, 3, 2), low)
    assert result.latest == BERLIN.nth_delivery_day(date(2026, 3, 2), high)
    express = estimate(LaneStats(), LANE, events, BERLIN, events[-1].occurred_at, service_level="express")
    assert express is not None and express.latest <= result.latest


def test_no_estimate_once_delivered_and_future_events_are_ignored() -> None:
    events = journey(MONDAY_9, USUAL_GAPS)
    assert estimate(LaneStats(), LANE, events, BERLIN, events[-1].occurred_at) is None
    now = events[3].occurred_at
    assert estimate(learned(40), LANE, events, BERLIN, now) == estimate(learned(40), LANE, events[:4], BERLIN, now)


def test_default_windows_never_get_later_along_the_main_path() -> None:
    for level in DefaultsBook().levels.values():
        windows = [level.window(status.value) for status in MAIN_MILESTONES[:-1]]
        assert windows == sorted(windows, reverse=True)
        assert all(low <= high for low, high in windows)


gaps = st.lists(st.floats(min_value=0.1, max_value=60), min_size=7, max_size=7)
lanes = st.sampled_from([LANE, Lane.of("Warehouse A", "DE", "80331"), Lane.of("Warehouse B", "DE", "20095")])


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.tuples(st.integers(0, 60 * 24), gaps, lanes), max_size=40),
    parcel_gaps=gaps,
    seen=st.integers(1, 7),
    wait_hours=st.floats(0, 120),
    lane=lanes,
    min_samples=st.integers(1, 40),
    coverage=st.floats(0.5, 0.99),
)
def test_every_window_is_ordered_on_delivery_days_and_not_in_the_past(
    history: list[tuple[int, list[float], Lane]],
    parcel_gaps: list[float],
    seen: int,
    wait_hours: float,
    lane: Lane,
    min_samples: int,
    coverage: float,
) -> None:
    stats = LaneStats()
    for index, (offset_hours, journey_gaps, journey_lane) in enumerate(history):
        events = journey(MONDAY_9 + timedelta(hours=offset_hours), journey_gaps, tag=f"h{index}")
        stats.learn_delivered(journey_lane, step_visits(events), BERLIN)
    events = journey(MONDAY_9 + timedelta(days=70), parcel_gaps, tag="x")[:seen]
    now = events[-1].occurred_at + timedelta(hours=wait_hours)
    policy = EstimatePolicy(coverage=coverage, min_samples=min_samples)
    result = estimate(stats, lane, events, BERLIN, now, policy=policy)
    assert result is not None
    local_now = now.astimezone(BERLIN.zone)
    assert result.earliest <= result.likely <= result.latest
    for day in (result.earliest, result.likely, result.latest):
        assert BERLIN.is_delivery_day(day)
    assert result.earliest >= local_now.date()
    if local_now.hour >= policy.last_delivery_hour:
        assert result.earliest > local_now.date()
    assert 0 < result.confidence <= 1
    if result.basis != "default":
        assert result.confidence >= coverage - 1e-6


@pytest.mark.parametrize("status", [Status.RETURNING, Status.CANCELLED])
def test_no_estimate_for_parcels_not_on_their_way(status: Status) -> None:
    statuses = (*MAIN_PATH[:4], status) if status is Status.RETURNING else (Status.ORDER_PLACED, status)
    events = journey(MONDAY_9, USUAL_GAPS, statuses=statuses)
    assert estimate(LaneStats(), LANE, events, BERLIN, events[-1].occurred_at) is None


def test_ingest_can_reuse_its_derivation() -> None:
    events = journey(MONDAY_9 + timedelta(weeks=5), USUAL_GAPS, tag="x")[:5]
    now = events[-1].occurred_at + timedelta(hours=3)
    stats = learned(40)
    visits = visits_of(derive(events))
    assert estimate_from_visits(stats, LANE, visits, BERLIN, now) == estimate(stats, LANE, events, BERLIN, now)
