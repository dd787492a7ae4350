"""Fixed histograms: quantiles, conditioning, bounds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.estimating.histograms import HOUR_EDGES, MAX_DAYS, DayHistogram, HourHistogram

durations = st.lists(st.floats(min_value=-5, max_value=500, allow_nan=False), min_size=1, max_size=60)


def test_quantiles_of_hours_interpolate_within_bins() -> None:
    histogram = HourHistogram()
    for hours in (0.5, 1.5, 2.5, 3.5):
        histogram.add(hours)
    assert histogram.quantile(0.5) == 2.0
    assert histogram.quantile(1.0) == 4.0
    assert HourHistogram().quantile(0.5) is None


@given(durations, st.floats(0, 1), st.floats(0, 1))
def test_hour_quantiles_grow_with_q(values: list[float], a: float, b: float) -> None:
    histogram = HourHistogram()
    for value in values:
        histogram.add(value)
    low, high = sorted((a, b))
    q_low, q_high = histogram.quantile(low), histogram.quantile(high)
    assert q_low is not None and q_high is not None
    assert 0 <= q_low <= q_high <= HOUR_EDGES[-1]
    assert histogram.total == len(values)


@given(st.lists(st.integers(-3, 40), min_size=1, max_size=50), st.integers(0, MAX_DAYS + 3))
def test_day_distribution_is_conditioned_and_sums_to_one(values: list[int], at_least: int) -> None:
    histogram = DayHistogram()
    for value in values:
        histogram.add(value)
    probabilities = histogram.distribution(at_least)
    assert abs(sum(probabilities) - 1.0) < 1e-9
    assert all(p == 0.0 for p in probabilities[: min(at_least, MAX_DAYS)])
