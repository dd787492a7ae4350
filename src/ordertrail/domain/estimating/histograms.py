"""Fixed histograms: small, mergeable, serialisable as plain lists of counts, updated one value at a time."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Final


def _hour_edges() -> tuple[float, ...]:
    # Fine where waits are short, coarse where they are long: 1 h up to a day, 3 h up to 3 days, 12 h to 10 days.
    edges = [float(h) for h in range(25)]
    edges += [float(h) for h in range(27, 73, 3)]
    edges += [float(h) for h in range(84, 241, 12)]
    return tuple(edges)


HOUR_EDGES: Final = _hour_edges()  # bin i holds [edges[i], edges[i+1]); the last bin holds everything beyond
MAX_DAYS: Final = 21  # day histograms hold 0..MAX_DAYS-1 exactly and "MAX_DAYS or more" in the last bin


@dataclass(slots=True)
class HourHistogram:
    """Durations in hours, in the fixed bins of ``HOUR_EDGES`` (for waits and stalled thresholds)."""

    counts: list[int] = field(default_factory=lambda: [0] * len(HOUR_EDGES))

    @property
    def total(self) -> int:
        return sum(self.counts)

    def add(self, hours: float) -> None:
        """Count one duration (negative durations count as zero)."""
        self.counts[self.bin(hours)] += 1

    @staticmethod
    def bin(hours: float) -> int:
        """Where a duration of ``hours`` is counted."""
        return max(0, bisect_right(HOUR_EDGES, hours) - 1)

    def add_at(self, index: int, times: int = 1) -> None:
        """Count ``times`` durations in bin ``index`` (see ``bin``): learning counts a batch, then adds."""
        self.counts[index] += times

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile in hours, linear within its bin (``None`` when empty).

        The overflow bin reports its lower edge: the true value is at least that.
        """
        total = self.total
        if total == 0:
            return None
        target = q * total
        seen = 0
        for index, count in enumerate(self.counts):
            if count and seen + count >= target:
                low = HOUR_EDGES[index]
                if index + 1 >= len(HOUR_EDGES):
                    return low
                return low + (HOUR_EDGES[index + 1] - low) * max(0.0, target - seen) / count
            seen += count
        return HOUR_EDGES[-1]


@dataclass(slots=True)
class DayHistogram:
    """Whole delivery days ahead: ``counts[r]`` is the weight of parcels delivered ``r`` delivery days later.

    Without recency weighting each parcel weighs 1 and the counts are whole numbers; ``total`` is always the
    number of observations (how much history there is), whatever they weigh.
    """

    counts: list[float] = field(default_factory=lambda: [0] * (MAX_DAYS + 1))
    total: int = 0

    def add(self, days: int) -> None:
        """Count one outcome of ``days`` delivery days ahead."""
        self.add_at(self.slot(days))

    @staticmethod
    def slot(days: int) -> int:
        """Where an outcome of ``days`` delivery days ahead is counted."""
        return min(max(days, 0), MAX_DAYS)

    def add_at(self, slot: int, times: int = 1, mass: float | None = None) -> None:
        """Count ``times`` outcomes in ``slot`` (see ``slot``) weighing ``mass`` together (``times`` if not given):
        learning counts a batch, then adds."""
        self.counts[slot] += times if mass is None else mass
        self.total += times

    def distribution(self, at_least: int = 0) -> list[float]:
        """Probabilities per day, conditioned on ``days >= at_least`` (all mass on ``at_least`` if none is left)."""
        return conditioned(self.counts, at_least)


def conditioned(weights: list[float], at_least: int = 0) -> list[float]:
    """Weights per day as probabilities, conditioned on ``days >= at_least`` (all on ``at_least`` if none left)."""
    start = min(max(at_least, 0), MAX_DAYS)
    kept = [0.0] * start + list(weights[start:])
    mass = sum(kept)
    if mass == 0:
        result = [0.0] * (MAX_DAYS + 1)
        result[start] = 1.0
        return result
    return [count / mass for count in kept]
