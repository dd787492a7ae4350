"""Lane statistics: incremental learning, order independence, waits, and a JSON round trip."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrail.domain.estimating import CalendarBook, Lane, LaneStats, estimate, step_visits
from ordertrail.domain.estimating.stats import SNAPSHOT_TIMES, Tally, situation
from tests.unit.estimating.factories import journey

BERLIN = CalendarBook().for_destination("DE")
LANE = Lane.of("Warehouse A", "DE", "10115")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

journeys = st.lists(
    st.tuples(st.integers(0, 30 * 24), st.lists(st.floats(0.1, 50), min_size=7, max_size=7)), max_size=15
)


def _learn(stats: LaneStats, items: list[tuple[int, list[float]]]) -> None:
    for index, (offset, gaps) in enumerate(items):
        events = journey(START + timedelta(hours=offset), gaps, tag=f"p{index}")
        stats.learn_delivered(LANE, step_visits(events), BERLIN)


@settings(max_examples=40, deadline=None)
@given(journeys, st.randoms(use_true_random=False))
def test_learning_order_does_not_matter(items: list[tuple[int, list[float]]], rng: random.Random) -> None:
    in_order, shuffled = LaneStats(), LaneStats()
    _learn(in_order, items)
    mixed = list(items)
    rng.shuffle(mixed)
    _learn(shuffled, mixed)
    assert in_order.to_dict() == shuffled.to_dict()
    assert in_order.parcels == len(items)


def test_statistics_survive_a_json_round_trip() -> None:
    stats = LaneStats()
    _learn(stats, [(hours * 5, [1.0, 2.0, 6.0, 8.0, 20.0, 10.0, 4.0]) for hours in range(40)])
    restored = LaneStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert restored.to_dict() == stats.to_dict()
    events = journey(START + timedelta(days=30), [1.0, 2.0, 6.0, 8.0, 20.0, 10.0, 4.0])[:5]
    now = events[-1].occurred_at + timedelta(hours=2)
    assert estimate(restored, LANE, events, BERLIN, now) == estimate(stats, LANE, events, BERLIN, now)


def test_waits_per_step_give_the_stalled_threshold() -> None:
    stats = LaneStats()
    _learn(stats, [(i, [1.0, 2.0, 6.0, 8.0, 20.0 + (i % 10), 10.0, 4.0]) for i in range(50)])
    p95 = stats.wait_quantile(LANE, "in_transit.1", 0.95, min_samples=30)
    assert p95 is not None and 28 <= p95 <= 31
    # A lane never seen falls back to the network's waits; too little data anywhere gives nothing.
    assert stats.wait_quantile(Lane.of("Elsewhere", "FR", "75001"), "in_transit.1", 0.95, 30) == p95
    assert stats.wait_quantile(LANE, "in_transit.1", 0.95, min_samples=51) is None


def test_a_journey_without_a_second_step_teaches_nothing() -> None:
    stats = LaneStats()
    stats.learn_delivered(LANE, step_visits(journey(START, [1.0])[:1]), BERLIN)
    assert stats.parcels == 0 and not stats.ahead


OTHER_LANE = Lane.of("Warehouse B", "DE", "80331")


@settings(max_examples=40, deadline=None)
@given(journeys, st.lists(st.booleans(), min_size=15, max_size=15))
def test_a_batch_counted_per_lane_teaches_what_parcels_teach_one_at_a_time(
    items: list[tuple[int, list[float]]], on_other_lane: list[bool]
) -> None:
    one_at_a_time, batched = LaneStats(), LaneStats()
    tallies = {LANE: Tally(), OTHER_LANE: Tally()}
    for index, (offset, gaps) in enumerate(items):
        lane = OTHER_LANE if on_other_lane[index] else LANE
        visits = step_visits(journey(START + timedelta(hours=offset), gaps, tag=f"p{index}"))
        one_at_a_time.learn_delivered(lane, visits, BERLIN)
        tallies[lane].count(visits, BERLIN)
    for lane, tally in tallies.items():
        batched.add(lane, tally)
    assert batched.to_dict() == one_at_a_time.to_dict()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 30 * 24), st.lists(st.floats(0.1, 50), min_size=7, max_size=7))
def test_each_band_of_each_local_day_on_the_way_counts_where_the_parcel_was(offset: int, gaps: list[float]) -> None:
    visits = step_visits(journey(START + timedelta(hours=offset), gaps))
    tally = Tally()
    tally.count(visits, BERLIN)
    # The same thing the slow way: every band's middle, the visit under way then, and the delivery days left.
    expected: Counter[tuple[str, int]] = Counter()
    delivered_on = BERLIN.local_date(visits[-1].started_at)
    day = BERLIN.local_date(visits[0].started_at)
    while day <= delivered_on:
        for band, at in enumerate(SNAPSHOT_TIMES):
            moment = datetime.combine(day, at, tzinfo=BERLIN.zone)
            if visits[0].started_at <= moment < visits[-1].started_at:
                current = [v for v in visits if v.started_at <= moment][-1]
                elapsed = (moment - current.started_at) // timedelta(days=1)
                ahead = min(BERLIN.delivery_days_between(day, delivered_on), 21)
                expected[(situation(current.step, band, elapsed), ahead)] += 1
                expected[(situation(current.step, band, None), ahead)] += 1
        day += timedelta(days=1)
    assert tally.ahead == expected


def _tallies(items: list[tuple[int, list[float]]], weighted: bool) -> dict[Lane, Tally]:
    """Journeys spread over lanes that share some keys (same warehouse, same area, other areas), some recency-
    weighted: the mix ``add_all`` must merge per key."""
    lanes = [LANE, Lane.of("Warehouse A", "DE", "80331"), Lane.of("Warehouse B", "DE", "10117")]
    tallies: dict[Lane, Tally] = {}
    for index, (offset, gaps) in enumerate(items):
        visits = step_visits(journey(START + timedelta(hours=offset), gaps, tag=f"p{index}"))
        weight = 1.0 + offset / 100 if weighted and index % 2 else 1.0
        tallies.setdefault(lanes[index % len(lanes)], Tally()).count(visits, BERLIN, weight)
    return tallies


@settings(max_examples=40, deadline=None)
@given(journeys, st.booleans())
def test_adding_all_lanes_at_once_equals_adding_them_one_by_one(
    items: list[tuple[int, list[float]]], weighted: bool
) -> None:
    tallies = _tallies(items, weighted)
    one_by_one, at_once = LaneStats(), LaneStats()
    for lane, tally in tallies.items():
        one_by_one.add(lane, tally)
    at_once.add_all(tallies)
    # Exactly, weights included: on fresh statistics each key's weights are summed in the same order.
    assert at_once.to_dict() == one_by_one.to_dict()
    assert json.dumps(at_once.to_dict()) == json.dumps(one_by_one.to_dict())  # the same order of situations
