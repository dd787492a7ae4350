"""Lane statistics: incremental learning, order independence, waits, and a JSON round trip."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrail.domain.eta import CalendarBook, Lane, LaneStats, estimate, step_visits
from tests.unit.eta_factories import journey

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
