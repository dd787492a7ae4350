"""Calibration (``calibration.py``): where recent deliveries fell in their estimates remaps the distributions
of their step, so windows follow a peak the lane histograms have not caught up with."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ordertrail.domain.estimating import EstimatePolicy, LaneStats, estimate, step_visits
from ordertrail.domain.estimating.calibration import Calibration
from ordertrail.domain.estimating.estimator import score_delivered
from tests.unit.estimating.factories import journey
from tests.unit.estimating.test_backoff import CALENDAR, FAST, SLOW, START, learn, seller

DISTRIBUTION = [0.0, 0.25, 0.5, 0.25] + [0.0] * 18


def test_outcomes_that_match_their_estimates_change_nothing() -> None:
    calibration = Calibration()
    for outcome, times in ((1, 25), (2, 50), (3, 25)):  # exactly as often as estimated
        for _ in range(times):
            calibration.record("dispatched", DISTRIBUTION, outcome)
    assert calibration.recalibrate("dispatched", DISTRIBUTION, min_scored=50) == pytest.approx(DISTRIBUTION)


def test_later_outcomes_move_the_mass_later_once_enough_were_scored() -> None:
    calibration = Calibration()
    for _ in range(100):
        calibration.record("dispatched", DISTRIBUTION, 3)  # always the latest day thought likely
    assert calibration.recalibrate("dispatched", DISTRIBUTION, min_scored=101) == DISTRIBUTION  # not enough yet
    remapped = calibration.recalibrate("dispatched", DISTRIBUTION, min_scored=100)
    assert sum(remapped) == pytest.approx(1.0)
    assert remapped[3] > 0.9
    assert calibration.recalibrate("in_transit.1", DISTRIBUTION, min_scored=1) == DISTRIBUTION  # per step
    restored = Calibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    assert restored.recalibrate("dispatched", DISTRIBUTION, min_scored=100) == remapped


def test_a_lane_that_slowed_down_gets_later_windows_when_calibrated() -> None:
    stats = LaneStats()
    lane = seller("Seller 1", "NY", "94107")
    # The lane's history: fast, with a slow tail (a remap moves mass between days seen, never beyond them).
    learn(stats, lane, 55, FAST)
    learn(stats, lane, 5, SLOW, day0=55)
    policy = EstimatePolicy(calibrate=True, calibration_min_scored=40)
    for n in range(40):  # then a peak: every delivery slow, scored against the fast history it did not match
        start = START + timedelta(days=7 * (14 + n // 5), hours=24 * (n % 5))  # after the history
        visits = step_visits(journey(start, SLOW, tag=f"peak-{n}", origin=lane.origin))
        score_delivered(stats, lane, visits, CALENDAR, policy)
    events = journey(START + timedelta(days=140), SLOW, origin=lane.origin)
    now = events[3].occurred_at + timedelta(minutes=30)  # dispatched
    plain = estimate(stats, lane, events[:4], CALENDAR, now)
    calibrated = estimate(stats, lane, events[:4], CALENDAR, now, policy=policy)
    assert plain is not None and calibrated is not None
    delivered_on = CALENDAR.local_date(events[-1].occurred_at)
    assert plain.latest < delivered_on  # the fast history alone misses the slow delivery
    assert calibrated.earliest <= delivered_on <= calibrated.latest
    assert stats.parcels == 60  # scoring learns nothing
