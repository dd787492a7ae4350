"""Calibration: making the windows hold the share of deliveries they claim, on histories that drift.

The lane histograms are only as right as the past they hold. In a peak the present is slower than that past,
and the windows hold fewer deliveries than the coverage asked; on a mixed history they can hold far more, and be
wider than needed. Both show in one place: where actual deliveries fell in the distribution estimated for them
(the probability integral transform, PIT). If the estimates were calibrated, the PIT values would be uniform;
if deliveries come later than estimated, they crowd towards 1.

So, per step and whole days already spent in it, a recency-weighted histogram of recent PIT values is kept
(``Calibration.record``, fed when a delivered parcel is learned, with the distributions estimated for it at the
start of each of its steps and each whole day after while it stayed there: ``estimator.score_delivered``), and
an estimate's distribution is remapped through their empirical CDF before its window is chosen
(``Calibration.recalibrate``: quantile recalibration, Kuleshov et al., 2018). A short half-life of its own
(``EstimatePolicy.calibration_half_life_days``) lets it follow a peak within a couple of weeks while the lane
histograms keep their long memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Final

PIT_BINS: Final = 20  # steps of 5 %: finer than any coverage is asked, coarse enough to fill in days


@dataclass(slots=True)
class StepPit:
    """The PIT values recorded for one step: their weights per bin, and how many estimates were scored."""

    weights: list[float] = field(default_factory=lambda: [0.0] * PIT_BINS)
    scored: int = 0

    def cdf(self, x: float) -> float:
        """The share of recorded PIT values at or below ``x`` (linear inside a bin)."""
        total = sum(self.weights)
        if total <= 0:
            return x
        position = min(max(x, 0.0), 1.0) * PIT_BINS
        whole = min(int(position), PIT_BINS - 1)
        below = sum(self.weights[:whole]) + self.weights[whole] * (position - whole)
        return below / total


@dataclass(slots=True)
class Calibration:
    """Recent PIT values per step and days in it (``dispatched|0``, ``in_transit.1|2``…: ``calibration_key``)."""

    steps: dict[str, StepPit] = field(default_factory=dict)

    def record(self, step: str, probabilities: list[float], outcome: int, weight: float = 1.0) -> None:
        """Score one estimate made in ``step``: ``probabilities`` per delivery day ahead, and the actual ``outcome``
        (the slot the delivery fell in). The outcome's own probability is spread evenly over its share of the
        CDF (a randomized PIT, made deterministic), so a day-granular outcome still gives a uniform PIT."""
        slot = min(max(outcome, 0), len(probabilities) - 1)
        low = sum(probabilities[:slot])
        high = min(low + probabilities[slot], 1.0)
        pit = self.steps.get(step)
        if pit is None:
            pit = self.steps[step] = StepPit()
        pit.scored += 1
        if high - low <= 1e-12:  # an outcome the estimate thought impossible: all at that point
            pit.weights[min(int(min(low, 1.0) * PIT_BINS), PIT_BINS - 1)] += weight
            return
        for index in range(PIT_BINS):
            start, end = index / PIT_BINS, (index + 1) / PIT_BINS
            overlap = min(end, high) - max(start, low)
            if overlap > 0:
                pit.weights[index] += weight * overlap / (high - low)

    def recalibrate(self, step: str, probabilities: list[float], min_scored: int) -> list[float]:
        """``probabilities`` remapped so that, judged by the recent PIT values of ``step``, they are calibrated;
        unchanged while fewer than ``min_scored`` estimates of the step were scored."""
        pit = self.steps.get(step)
        if pit is None or pit.scored < min_scored:
            return probabilities
        remapped: list[float] = []
        before = 0.0
        for cumulative in accumulate(probabilities):
            after = pit.cdf(cumulative)
            remapped.append(max(after - before, 0.0))
            before = after
        mass = sum(remapped)
        return [p / mass for p in remapped] if mass > 0 else probabilities

    def to_dict(self) -> dict[str, Any]:
        return {step: {"weights": pit.weights, "scored": pit.scored} for step, pit in self.steps.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls({step: StepPit(list(v["weights"]), int(v["scored"])) for step, v in data.items()})
