"""A history to learn from: the simulated network through the real services, and the backtest on it.

The accuracy claim of issue 7 is checked here on ≥ 10,000 parcels of simulated history and a held-out set.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.demo.backtest import run_backtest
from ordertrail.demo.simulation import SIMULATED_CALENDARS, simulate
from ordertrail.settings import Settings
from ordertrail.storage.tables import lane_stat, parcel, parcel_estimate
from tests.support.store import rows


@pytest.mark.slow
def test_one_day_out_at_least_90_percent_fall_inside_a_window_of_at_most_two_days() -> None:
    report = run_backtest(simulate(parcels=12_000, seed=7), held_out=2_000, calendars=SIMULATED_CALENDARS)
    assert report.history == 10_000
    one_day = report.overall["1"]
    assert one_day.estimates >= 1_900
    assert one_day.share_inside() >= 0.90
    # Both at once, per estimate: the delivery fell inside AND that window was at most two delivery days wide.
    assert one_day.share_inside_narrow() >= 0.90
    assert one_day.mean_width() <= 2.0


def test_simulated_demo_builds_a_delivered_history_the_backtest_reads_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    made = runner.invoke(app, ["demo", "--simulated", "--parcels", "300", "--seed", "5"])
    assert made.exit_code == 0, made.output
    assert "300 parcels" in made.output

    url = settings.resolved_database_url
    statuses = rows(url, select(parcel.c.status, func.count().label("n")).group_by(parcel.c.status))
    assert [(r["status"], r["n"]) for r in statuses] == [("delivered", 300)]
    # Learned once per delivered parcel, incrementally (the network-wide key counts every parcel).
    assert rows(url, select(lane_stat.c.parcels).where(lane_stat.c.key == "*")) == [{"parcels": 300}]
    assert rows(url, select(func.count().label("n")).where(parcel.c.eta_learned.is_(True))) == [{"n": 300}]
    reasons = {r["reason"] for r in rows(url, select(parcel_estimate.c.reason).distinct())}
    assert {"scan", "missed_step"} <= reasons

    backtest = runner.invoke(app, ["eta", "backtest", "--from-store", "--held-out", "60"])
    assert backtest.exit_code == 0, backtest.output
    assert "store (300 delivered parcels)" in backtest.output
    assert "history: 240 parcels, held out: 60 parcels" in backtest.output

    too_few = runner.invoke(app, ["eta", "backtest", "--from-store", "--held-out", "300"])
    assert too_few.exit_code == 1
