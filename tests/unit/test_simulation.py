"""The simulated network: seeded, plausible journeys that respect its weekly pattern and calendars."""

from __future__ import annotations

from ordertrail.demo.simulation import SIMULATED_CALENDARS, simulate
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import Status

DEPARTURES = {Status.DISPATCHED, Status.OUT_FOR_DELIVERY, Status.DELIVERED}  # hub scans are arrivals


def test_the_same_seed_gives_the_same_journeys() -> None:
    assert simulate(parcels=50, seed=3) == simulate(parcels=50, seed=3)
    assert simulate(parcels=50, seed=3) != simulate(parcels=50, seed=4)


def test_journeys_are_delivered_in_order_and_respect_the_calendar() -> None:
    parcels = simulate(parcels=800, seed=5)
    assert [p.placed_at for p in parcels] == sorted(p.placed_at for p in parcels)
    lanes = {p.lane for p in parcels}
    assert len(lanes) >= 20
    reasons = set()
    for parcel in parcels:
        assert derive(parcel.events).status is Status.DELIVERED
        times = [e.occurred_at for e in parcel.events]
        assert times == sorted(times)
        calendar = SIMULATED_CALENDARS.for_destination(parcel.country)
        for event in parcel.events:
            if event.status in DEPARTURES:
                assert event.occurred_at.weekday() != 6, "nothing leaves on Sundays"
            if event.status in {Status.OUT_FOR_DELIVERY, Status.DELIVERED}:
                assert calendar.is_delivery_day(calendar.local_date(event.occurred_at))
            reasons.add(event.reason)
    assert {"nobody_home", "missed_connection"} <= reasons  # failed attempts and incidents happen
