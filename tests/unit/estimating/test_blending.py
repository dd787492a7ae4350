"""Blending lane levels by their sample sizes (``EstimatePolicy.blend_strength``): finer levels with too little
history to stand alone still move the window, as far as their observations justify."""

from __future__ import annotations

from datetime import timedelta

from ordertrail.domain.estimating import Estimate, EstimatePolicy, Lane, LaneLevel, LaneStats, estimate
from ordertrail.domain.estimating.journey import origin_region
from ordertrail.domain.scanning.events import Location, ScanEvent
from tests.unit.estimating.factories import journey
from tests.unit.estimating.test_backoff import CALENDAR, FAST, SLOW, START, learn, seller

BLEND = EstimatePolicy(blend_strength=10.0)


def at_dispatch(stats: LaneStats, lane: Lane, policy: EstimatePolicy) -> Estimate:
    events = journey(START + timedelta(days=70), FAST, origin=lane.origin)[:4]  # dispatched, nothing more yet
    found = estimate(stats, lane, events, CALENDAR, events[-1].occurred_at + timedelta(minutes=30), policy=policy)
    assert found is not None
    return found


def test_a_seller_with_a_few_slow_parcels_moves_the_window_that_back_off_would_take_from_others() -> None:
    stats = LaneStats()
    learn(stats, seller("Seller 2", "CA", "94107"), 200, FAST)  # the area's history: fast
    slow_seller = seller("Seller 1", "NY", "94107")
    learn(stats, slow_seller, 12, SLOW, day0=200)  # far too few to stand alone (min_samples 30)
    backed_off = at_dispatch(stats, slow_seller, EstimatePolicy())
    blended = at_dispatch(stats, slow_seller, BLEND)
    assert backed_off.basis == LaneLevel.AREA.value  # back-off ignores the seller's own twelve parcels
    assert blended.basis == LaneLevel.LANE.value  # the finest level that contributed
    assert blended.samples == backed_off.samples  # the level with enough history it started from
    assert blended.latest > backed_off.latest  # twelve slow parcels against a prior worth ten: later
    # A stronger prior trusts the sparse seller less; an overwhelming one is plain back-off again.
    assert at_dispatch(stats, slow_seller, EstimatePolicy(blend_strength=1e9)).latest == backed_off.latest


def test_a_sparse_origin_lane_keeps_its_destination_signal() -> None:
    stats = LaneStats()
    learn(stats, seller("Seller 2", "CA", "94107"), 60, FAST)  # to the area: fast
    for n in range(6):  # the rest of the country: slow, and far more of it
        learn(stats, seller(f"Seller {10 + n}", "TX", "10001", "NY"), 60, SLOW)
    new_seller = seller("Seller 3", "NY", "94110")  # never shipped; nor has its region, to anywhere
    area_only = Lane.of("*", "US", "94110")
    blended = at_dispatch(stats, new_seller, BLEND)
    assert blended.basis == LaneLevel.AREA.value
    # Exactly the area's window: nothing finer has history, and the country's slow parcels do not leak in.
    assert (blended.earliest, blended.latest) == (
        at_dispatch(stats, area_only, BLEND).earliest,
        at_dispatch(stats, area_only, BLEND).latest,
    )
    assert blended.latest < at_dispatch(stats, Lane.of("Seller 3", "US", "10001"), BLEND).latest


def test_without_enough_history_at_any_level_the_defaults_answer() -> None:
    stats = LaneStats()
    lane = seller("Seller 1", "NY", "94107")
    learn(stats, lane, 5, SLOW)
    assert at_dispatch(stats, lane, BLEND).basis == "default"


def test_the_origin_region_of_stored_events() -> None:
    def events(location: Location) -> list[ScanEvent]:
        made = journey(START, FAST)
        return [e._replace(location=location) if e.location.facility == "Warehouse A" else e for e in made]

    assert origin_region(events(Location(facility="Warehouse A", region="CA")), "US") == "US-CA"
    assert origin_region(events(Location(facility="Warehouse A", region="us-ca", country="US")), "GB") == "US-CA"
    assert origin_region(events(Location(facility="Warehouse A", region="ON", country="CA")), "US") == "CA-ON"
    assert origin_region(events(Location(facility="Warehouse A")), "US") is None
