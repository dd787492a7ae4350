"""The backtest replay: what it counts, and that it learns only from the past."""

from __future__ import annotations

from datetime import timedelta

from ordertrail.demo.backtest import ALL, HORIZONS, markdown, run_backtest
from ordertrail.demo.simulation import SIMULATED_CALENDARS, simulate


def test_a_small_replay_scores_every_horizon_and_learns_every_parcel() -> None:
    parcels = simulate(parcels=1500, seed=9)
    report = run_backtest(parcels, held_out=300, calendars=SIMULATED_CALENDARS)
    assert report.stats.parcels == 1500
    expected = sum(
        1
        for p in sorted(parcels, key=lambda p: p.placed_at)[-300:]
        for k in range(1, 30)
        if p.delivered_at - timedelta(days=k) > p.placed_at
    )
    assert report.overall[ALL].estimates == expected
    for bucket in HORIZONS:
        tally = report.overall[bucket]
        assert tally.estimates > 0
        assert 0.5 <= tally.share_inside() <= 1.0
    assert report.overall["1"].share_inside() >= report.overall["3+"].share_inside()
    table = markdown(report)
    assert "| 1 |" in table and "Warehouse Leipzig>DE-10" in table


def test_without_history_the_first_parcels_get_defaults() -> None:
    parcels = simulate(parcels=40, seed=9)
    report = run_backtest(parcels, held_out=40, calendars=SIMULATED_CALENDARS)
    assert report.overall[ALL].defaults == report.overall[ALL].estimates  # nothing was delivered before them
