"""``ordertrail eta backtest`` end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.domain.estimating import LaneStats


def test_backtest_prints_the_calibration_table_and_saves_statistics(tmp_path: Path) -> None:
    out = tmp_path / "stats.json"
    result = CliRunner().invoke(
        app, ["eta", "backtest", "--parcels", "1200", "--held-out", "200", "--seed", "3", "--stats-out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "history: 1200 parcels, held out: 200 parcels" in result.output
    assert "| days out | estimates | inside window |" in result.output
    assert "| lane | parcels |" in result.output
    assert LaneStats.from_dict(json.loads(out.read_text())).parcels == 1400


def test_backtest_rejects_a_bad_coverage() -> None:
    result = CliRunner().invoke(app, ["eta", "backtest", "--coverage", "1.5"])
    assert result.exit_code == 2
