"""The two-axis back-off (origin facility -> region -> any; destination postal area -> region -> country) and
recency weighting: which level an estimate uses, and how old deliveries weigh less."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ordertrail.domain.estimating import CalendarBook, Lane, LaneLevel, LaneStats, estimate, step_visits
from ordertrail.domain.estimating.stats import EPOCH, recency_weight
from tests.unit.estimating.factories import journey

CALENDAR = CalendarBook().for_destination("US", region="CA")
# A Monday; dispatched 9 h later, 20:00 UTC: 12:00 or 13:00 on the Pacific coast (summer time), either way
# inside the afternoon band, so every parcel is seen dispatched at 15:00 local and estimated in that band.
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
FAST = [1.0, 2.0, 6.0, 8.0, 10.0, 6.0, 4.0]  # hours between the steps of ``journey``
SLOW = [1.0, 2.0, 6.0, 8.0, 60.0, 30.0, 4.0]


def seller(name: str, region: str, area_zip: str, dest_region: str = "CA") -> Lane:
    return Lane.of(name, "US", area_zip, origin_region=f"US-{region}", region=dest_region)


def learn(
    stats: LaneStats, lane: Lane, parcels: int, gaps: list[float], *, day0: int = 0, weighting: float | None = None
) -> None:
    for n in range(parcels):
        start = START + timedelta(days=7 * ((day0 + n) // 5), hours=24 * ((day0 + n) % 5))  # weekdays only
        visits = step_visits(journey(start, gaps, tag=f"{lane.name}-{n}", origin=lane.origin))
        stats.learn_delivered(lane, visits, CALENDAR, recency_weight(visits[-1].started_at, weighting))


def basis_for(stats: LaneStats, lane: Lane) -> str:
    events = journey(START + timedelta(days=70), FAST, origin=lane.origin)[:4]  # dispatched, nothing more yet
    found = estimate(stats, lane, events, CALENDAR, events[-1].occurred_at + timedelta(minutes=30))
    assert found is not None
    return found.basis


def test_the_keys_back_off_along_both_axes_destination_detail_first() -> None:
    lane = seller("Seller 7", "NY", "94107")
    assert lane.fallbacks() == (
        (LaneLevel.LANE, "Seller 7>US-94"),
        (LaneLevel.REGION_AREA, "region:US-NY>US-94"),
        (LaneLevel.FACILITY_REGION, "Seller 7>US:CA"),
        (LaneLevel.REGION_REGION, "region:US-NY>US:CA"),
        (LaneLevel.AREA, "*>US-94"),
        (LaneLevel.ORIGIN_COUNTRY, "Seller 7>US"),
        (LaneLevel.REGION, "*>US:CA"),
        (LaneLevel.REGION_COUNTRY, "region:US-NY>US"),
        (LaneLevel.COUNTRY, "*>US"),
        (LaneLevel.NETWORK, "*"),
    )
    # Without regions (the store's lanes today) a lane keeps its four keys, plus the area from any origin.
    assert [k for _, k in Lane.of("Warehouse A", "DE", "10115").fallbacks()] == [
        "Warehouse A>DE-10", "*>DE-10", "Warehouse A>DE", "*>DE", "*"
    ]  # fmt: skip


def test_a_sparse_seller_uses_its_region_s_history_to_the_same_postal_area() -> None:
    stats = LaneStats()
    learn(stats, seller("Seller 1", "NY", "94107"), 40, SLOW)  # same origin region, same area
    learn(stats, seller("Seller 2", "CA", "94107"), 200, FAST)  # same area, another origin region (near)
    new = seller("Seller 3", "NY", "94110")  # never shipped before
    assert basis_for(stats, new) == LaneLevel.REGION_AREA.value
    # The old chain would have gone to the whole country, mixing both.
    assert basis_for(stats, Lane.of("Seller 3", "US", "94110")) == LaneLevel.AREA.value


@pytest.mark.parametrize(
    ("learned", "expected"),
    [
        ([("Seller 9", "NY", "94107", 40)], LaneLevel.LANE),
        ([("Seller 9", "NY", "90001", 40)], LaneLevel.FACILITY_REGION),  # its own parcels to the region
        ([("Seller 1", "NY", "90001", 40)], LaneLevel.REGION_REGION),  # its region's parcels to the region
        ([("Seller 1", "TX", "94107", 40)], LaneLevel.AREA),  # any origin to the area
        ([("Seller 9", "NY", "10001", 40)], LaneLevel.ORIGIN_COUNTRY),  # only its parcels elsewhere in the US
        ([("Seller 1", "TX", "90001", 40)], LaneLevel.REGION),
        ([("Seller 1", "NY", "10001", 40)], LaneLevel.REGION_COUNTRY),
        ([("Seller 1", "TX", "10001", 40)], LaneLevel.COUNTRY),
    ],
)
def test_each_level_is_chosen_when_it_is_the_finest_with_enough_history(
    learned: list[tuple[str, str, str, int]], expected: LaneLevel
) -> None:
    stats = LaneStats()
    for name, region, zip_code, parcels in learned:
        dest = {"9": "CA", "1": "NY"}.get(zip_code[0], "CA")  # 9xxxx: California, 1xxxx: New York
        learn(stats, seller(name, region, zip_code, dest), parcels, FAST)
    learn(stats, seller("Seller 5", "WA", "98101", "WA"), 10, FAST)  # too few anywhere to matter alone
    assert basis_for(stats, seller("Seller 9", "NY", "94107")) == expected.value


def test_recent_deliveries_weigh_more_with_a_half_life() -> None:
    assert recency_weight(EPOCH + timedelta(days=30), 30) == pytest.approx(2.0)
    assert recency_weight(EPOCH + timedelta(days=90), 30) / recency_weight(EPOCH + timedelta(days=60), 30) == (
        pytest.approx(2.0)
    )
    assert recency_weight(EPOCH + timedelta(days=900), None) == 1.0
    lane = seller("Seller 1", "NY", "94107")
    # Old slow deliveries (weeks 0-11), then the lane got fast (weeks 12-15): as many slow ones as fast ones.
    plain, recent = LaneStats(), LaneStats()
    for stats, half_life in ((plain, None), (recent, 14.0)):
        learn(stats, lane, 20, SLOW, weighting=half_life)
        learn(stats, lane, 20, FAST, day0=60, weighting=half_life)
    events = journey(START + timedelta(days=120), FAST, origin=lane.origin)[:4]
    now = events[-1].occurred_at + timedelta(minutes=30)
    before, after = estimate(plain, lane, events, CALENDAR, now), estimate(recent, lane, events, CALENDAR, now)
    assert before is not None and after is not None
    # Unweighted, half the past was slow: the window must reach the slow outcome. Weighted, the fast present
    # dominates, and the window is narrower and earlier.
    assert after.latest < before.latest
    assert after.earliest <= before.earliest
    # Observations still count as observations (min_samples): weights change the shape, not how much history.
    situations = recent.ahead[lane.name]
    assert all(h.total == plain.ahead[lane.name][s].total for s, h in situations.items())
    restored = LaneStats.from_dict(json.loads(json.dumps(recent.to_dict())))
    assert estimate(restored, lane, events, CALENDAR, now) == after


def test_statistics_written_before_weights_still_load() -> None:
    old = {"format": 1, "parcels": 2, "ahead": {"*": {"dispatched|3|0": [0, 2] + [0] * 20}}, "waits": {"*": {}}}
    stats = LaneStats.from_dict(old)
    assert stats.ahead["*"]["dispatched|3|0"].total == 2
