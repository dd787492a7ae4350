"""The estimator: a pure function of lane statistics, a parcel's events, its calendar and the time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from ordertrail.domain.estimating.calendar import DeliveryCalendar
from ordertrail.domain.estimating.defaults import DefaultsBook
from ordertrail.domain.estimating.histograms import conditioned
from ordertrail.domain.estimating.journey import NO_ESTIMATE, StepVisit, step_visits
from ordertrail.domain.estimating.lanes import Lane
from ordertrail.domain.estimating.stats import (
    ELAPSED_CAP,
    SNAPSHOT_TIMES,
    LaneStats,
    band_of,
    recency_weight,
    situation,
)
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status

DEFAULT_BASIS: Final = "default"


@dataclass(frozen=True, slots=True)
class EstimatePolicy:
    """How estimates are made: window coverage, how much history is enough, when today's rounds end."""

    # The window holds at least this share of comparable past outcomes. 0.85 was chosen on the simulated network
    # of seed 11 (see docs/eta.md): one day out it gives >= 90% inside with windows of at most two days.
    coverage: float = 0.85
    min_samples: int = 30  # fewer observations than this on a lane level: fall back to a coarser one
    last_delivery_hour: int = 20  # from this local hour on, nothing more is delivered today
    # Blending: finer lane levels with fewer than ``min_samples`` observations still refine the estimate, each
    # weighing its observations against this many observations' worth of the coarser level
    # (``LaneStats.blend_ahead``); 0: plain back-off, the first level with enough history alone.
    blend_strength: float = 0.0
    # Calibration (``calibration.py``): each step's distributions remapped through where recent deliveries fell
    # in the distributions estimated for them, those weighted with their own, short, half-life.
    calibrate: bool = False
    calibration_half_life_days: float = 14.0
    calibration_min_scored: int = 200  # scored estimates of a step before its calibration is used
    # Recency: a delivery this many days older weighs half as much (``stats.recency_weight``); None: all alike.
    half_life_days: float | None = None
    defaults: DefaultsBook = field(default_factory=DefaultsBook)


DEFAULT_POLICY: Final = EstimatePolicy()


@dataclass(frozen=True, slots=True)
class Estimate:
    """An estimated delivery window, in the destination's local dates."""

    earliest: date
    latest: date
    likely: date  # the median date: the best single guess
    confidence: float  # the share of comparable parcels delivered inside the window (or the default's claim)
    basis: str  # the lane level the statistics came from, or "default"
    samples: int  # how many observations support it (0 for defaults)
    step: str  # the step the parcel was in
    computed_at: datetime


def _shortest_window(probabilities: list[float], coverage: float) -> tuple[int, int, float]:
    """The shortest run of days holding ``coverage`` of the mass (more mass, then earlier, breaks ties)."""
    best: tuple[int, int, float] | None = None
    size = len(probabilities)
    for start in range(size):
        if probabilities[start] == 0.0:
            continue  # a window never starts or ends on a day nobody was delivered
        mass = 0.0
        for end in range(start, size):
            mass += probabilities[end]
            if mass >= coverage - 1e-9:
                if probabilities[end] == 0.0:
                    break
                width = end - start
                if best is None or (width, -mass) < (best[1] - best[0], -best[2]):
                    best = (start, end, mass)
                break
    if best is None:  # less than ``coverage`` in total cannot happen for a distribution; be safe anyway
        nonzero = [i for i, p in enumerate(probabilities) if p > 0] or [0]
        return nonzero[0], nonzero[-1], 1.0
    return best


def _median(probabilities: list[float]) -> int:
    seen = 0.0
    for index, probability in enumerate(probabilities):
        seen += probability
        if seen >= 0.5 - 1e-9:
            return index
    return len(probabilities) - 1


def earliest_offset(calendar: DeliveryCalendar, now: datetime, policy: EstimatePolicy) -> int:
    """0 while a delivery can still happen today (a delivery day before the last round), else 1."""
    local = now.astimezone(calendar.zone)
    return 0 if calendar.is_delivery_day(local.date()) and local.hour < policy.last_delivery_hour else 1


def estimate(
    stats: LaneStats,
    lane: Lane,
    events: Iterable[ScanEvent],
    calendar: DeliveryCalendar,
    now: datetime,
    *,
    service_level: str = "standard",
    policy: EstimatePolicy = DEFAULT_POLICY,
) -> Estimate | None:
    """The delivery window of a parcel as known at ``now`` (events after ``now`` are ignored).

    ``None`` when the parcel is not on its way to the customer (delivered, returning, returned, cancelled).
    """
    visits = step_visits(e for e in events if e.occurred_at <= now)
    return estimate_from_visits(stats, lane, visits, calendar, now, service_level=service_level, policy=policy)


def estimate_from_visits(
    stats: LaneStats,
    lane: Lane,
    visits: Sequence[StepVisit],
    calendar: DeliveryCalendar,
    now: datetime,
    *,
    service_level: str = "standard",
    policy: EstimatePolicy = DEFAULT_POLICY,
) -> Estimate | None:
    """``estimate`` for a parcel whose steps up to ``now`` are already known (see ``journey.visits_of``)."""
    current = visits[-1] if visits else StepVisit(Status.ORDER_PLACED.value, now)
    if current.step in NO_ESTIMATE:
        return None
    local = now.astimezone(calendar.zone)
    today = local.date()
    at_least = earliest_offset(calendar, now, policy)
    found = _distribution(stats, lane, current, local, now, at_least, policy)
    if found is None:
        return _default_estimate(current, calendar, now, at_least, service_level, policy)
    probabilities, basis, samples = found
    if policy.calibrate:
        key = calibration_key(current.step, local, current.started_at, probabilities)
        probabilities = stats.calibration.recalibrate(key, probabilities, policy.calibration_min_scored)
    start, end, mass = _shortest_window(probabilities, policy.coverage)
    likely = min(max(_median(probabilities), start), end)
    return Estimate(
        earliest=calendar.nth_delivery_day(today, start),
        latest=calendar.nth_delivery_day(today, end),
        likely=calendar.nth_delivery_day(today, likely),
        confidence=round(min(mass, 1.0), 3),
        basis=basis,
        samples=samples,
        step=current.step,
        computed_at=now,
    )


def _distribution(
    stats: LaneStats,
    lane: Lane,
    current: StepVisit,
    local: datetime,
    now: datetime,
    at_least: int,
    policy: EstimatePolicy,
) -> tuple[list[float], str, int] | None:
    """The distribution of delivery days ahead learned for the parcel's situation, conditioned on what is still
    possible, with the lane level it came from and its observations; None without enough history."""
    elapsed = int((now - current.started_at).total_seconds() // 86400)
    band = band_of(local)
    specific, pooled = situation(current.step, band, elapsed), situation(current.step, band, None)
    if policy.blend_strength > 0:
        blended = stats.blend_ahead(lane, specific, pooled, policy.min_samples, policy.blend_strength)
        if blended is None:
            return None
        return conditioned(blended.probabilities, at_least), blended.level.value, blended.samples
    found = stats.find_ahead(lane, specific, policy.min_samples)
    if found is None:
        found = stats.find_ahead(lane, pooled, policy.min_samples)
    if found is None:
        return None
    return found.histogram.distribution(at_least), found.level.value, found.histogram.total


HORIZON_CAP: Final = 3  # calibrations per likely delivery day ahead: 0, 1, 2, 3 or more


def calibration_key(step: str, local: datetime, started_at: datetime, probabilities: list[float]) -> str:
    """What a calibration is kept per: the situation (step, band of the local day, whole days already spent in
    the step: 0, 1, 2 or more) and how many delivery days ahead the estimate's median is. A remap learned from
    far, unsure estimates must not spread the mass of near, sure ones: in a peak the far ones come late while
    tomorrow's still come tomorrow."""
    elapsed = min(max(int((local - started_at).total_seconds() // 86400), 0), ELAPSED_CAP)
    return f"{step}|{band_of(local)}|{elapsed}|{min(_median(probabilities), HORIZON_CAP)}"


def score_delivered(
    stats: LaneStats,
    lane: Lane,
    visits: Sequence[StepVisit],
    calendar: DeliveryCalendar,
    policy: EstimatePolicy,
) -> None:
    """Record in ``stats.calibration`` where a delivered parcel's delivery fell in the distributions estimated
    for it at the moments learning looks at it (the middle of every band of every local day on its way: the
    situations estimates are made in). Call it before the parcel is learned: those estimates did not know it."""
    delivered_at = visits[-1].started_at
    delivered_on = calendar.local_date(delivered_at)
    weight = recency_weight(delivered_at, policy.calibration_half_life_days)
    day = calendar.local_date(visits[0].started_at)
    index = 0
    while day <= delivered_on:
        for at in SNAPSHOT_TIMES:
            local = datetime.combine(day, at, tzinfo=calendar.zone)
            if local < visits[0].started_at or local >= delivered_at:
                continue
            while index + 1 < len(visits) and visits[index + 1].started_at <= local:
                index += 1
            visit = visits[index]
            if visit.step in NO_ESTIMATE:
                continue
            found = _distribution(stats, lane, visit, local, local, earliest_offset(calendar, local, policy), policy)
            if found is not None:
                key = calibration_key(visit.step, local, visit.started_at, found[0])
                outcome = calendar.delivery_days_between(day, delivered_on)
                stats.calibration.record(key, found[0], outcome, weight)
        day += timedelta(days=1)


def _default_estimate(
    current: StepVisit,
    calendar: DeliveryCalendar,
    now: datetime,
    at_least: int,
    service_level: str,
    policy: EstimatePolicy,
) -> Estimate:
    """Configured days per step, counted from the start of the current step, never before today allows."""
    defaults = policy.defaults.for_level(service_level)
    low, high = defaults.window(current.step)
    started = calendar.local_date(current.started_at)
    today = calendar.local_date(now)
    floor = calendar.nth_delivery_day(today, at_least)
    earliest = max(calendar.nth_delivery_day(started, low), floor)
    latest = max(calendar.nth_delivery_day(started, high), earliest)
    likely = max(calendar.nth_delivery_day(started, round(defaults.days_ahead(current.step))), earliest)
    return Estimate(
        earliest=earliest,
        latest=latest,
        likely=min(likely, latest),
        confidence=defaults.confidence,
        basis=DEFAULT_BASIS,
        samples=0,
        step=current.step,
        computed_at=now,
    )
