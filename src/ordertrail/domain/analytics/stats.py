"""Percentiles and means of durations, exactly as docs/analytics.md defines them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The nearest-rank percentile: the value at rank ceil(percent × n / 100) of the values sorted ascending
    (rank 1 is the smallest). Always one of the values. Raises ValueError for no values or percent outside 1–100."""
    if not values:
        raise ValueError("no values")
    if not 1 <= percent <= 100:
        raise ValueError(percent)
    ordered = sorted(values)
    # The rank in integers: in floats 0.7 * 10 is 7.000000000000001, whose ceiling is 8.
    rank = -(-len(ordered) * percent // 100)
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Durations:
    """Hours over ``count`` parcels; the statistics are None when no parcel was counted."""

    count: int
    p50: float | None
    p90: float | None
    mean: float | None


def durations(hours: Sequence[float]) -> Durations:
    if not hours:
        return Durations(0, None, None, None)
    return Durations(len(hours), nearest_rank(hours, 50), nearest_rank(hours, 90), sum(hours) / len(hours))
