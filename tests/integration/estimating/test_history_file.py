"""A shop's delivery history from a CSV file: imported into the store (a warm start), and backtested."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.domain.estimating.history import COLUMNS
from ordertrail.settings import Settings
from ordertrail.storage.tables import lane_stat
from tests.support.store import rows

BERLIN = ZoneInfo("Europe/Berlin")


def _history(path: Path, *, bad: bool = False) -> Path:
    """Ten weeks of six identical parcels (no German holiday in them): placed Monday 08:xx, dispatched 18:00,
    delivered Wednesday 11:00, promised for Friday."""
    lines = [",".join(COLUMNS)]
    for week in range(10):
        monday = date(2026, 1, 12) + timedelta(weeks=week)
        for n in range(6):
            name = f"W{week}-{n}"
            placed = datetime(monday.year, monday.month, monday.day, 8, n, tzinfo=BERLIN)
            dispatched = placed.replace(hour=18)
            delivered = (placed + timedelta(days=2)).replace(hour=11)
            friday = (monday + timedelta(days=4)).isoformat()
            lines += [
                f"{name},order_placed,{placed.isoformat()},,,,,BE,10115,DE,{friday}",
                f"{name},dispatched,{dispatched.isoformat()},Warehouse Leipzig,SN,04109,DE,,,,",
                f"{name},delivered,{delivered.isoformat()},,BE,10115,DE,,,,",
            ]
    if bad:
        lines.insert(5, "W0-9,shipped,2026-01-12T09:00:00+01:00,,,,,,,DE,")
        lines.insert(9, "W0-9,delivered,yesterday,,,,,,,DE,")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_backtest_on_a_small_history_gives_the_figures_its_journeys_imply(tmp_path: Path) -> None:
    out = tmp_path / "tables.json"
    result = CliRunner().invoke(
        app, ["eta", "backtest", "--history", str(_history(tmp_path / "h.csv")), "--held-out", "10", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "h.csv: 180 rows, 60 delivered parcels, 0 not delivered (left aside), 0 bad rows skipped" in result.output
    assert "history: 50 parcels, held out: 10 parcels (20 estimates)" in result.output
    tables = json.loads(out.read_text())
    by_days = {row["days out"]: row for row in tables["by_days_out"]}
    # Every past parcel took the same two delivery days: one or two days out, the window is that Wednesday.
    for bucket in ("1", "2"):
        assert by_days[bucket]["estimates"] == 10
        assert by_days[bucket]["inside window"] == 1.0
        assert by_days[bucket]["mean width (days)"] == 1.0
        assert by_days[bucket]["mean abs error (days)"] == 0.0
        assert by_days[bucket]["no history"] == 0.0
    assert by_days["3+"]["estimates"] == 0
    steps = {row["step"]: row for row in tables["by_step"]}
    assert list(steps) == ["order placed", "dispatched"]
    for row in steps.values():
        assert (row["estimates"], row["inside window"], row["mean width (days)"]) == (10, 1.0, 1.0)
    promise = {row["date"]: row for row in tables["promise"]}
    # The shop promised Friday for a Wednesday delivery (two days of slack); our latest was that Wednesday.
    assert promise["shop's promise"] == {
        "date": "shop's promise", "parcels": 10, "delivered by it": 1.0, "mean slack (days)": 2.0
    }  # fmt: skip
    at_dispatch = promise["our latest, at dispatched"]
    assert (at_dispatch["delivered by it"], at_dispatch["mean slack (days)"]) == (1.0, 0.0)
    assert "| dispatched | 10 | 100.0% | 1.00 | 0.00 | 0.0% |" in result.output


def test_import_history_learns_lane_statistics_and_reports_bad_rows(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    result = runner.invoke(app, ["eta", "import-history", str(_history(tmp_path / "h.csv", bad=True))])
    assert result.exit_code == 0, result.output
    assert "h.csv:6: skipped: status 'shipped' is not one of ordertrail's statuses" in result.output
    assert "h.csv:10: skipped: occurred_at 'yesterday' is not an RFC 3339 date-time" in result.output
    assert "182 rows, 60 delivered parcels, 0 not delivered (left aside), 2 bad rows skipped" in result.output
    assert "learned 60 delivered parcels" in result.output
    url = settings.resolved_database_url
    learned = {r["key"]: r["parcels"] for r in rows(url, select(lane_stat.c.key, lane_stat.c.parcels))}
    # Every level of both axes: the warehouse, its region (Saxony), any origin; Berlin's area, region, Germany.
    assert learned == {
        key: 60
        for key in (
            "Warehouse Leipzig>DE-10", "region:DE-SN>DE-10", "Warehouse Leipzig>DE:BE", "region:DE-SN>DE:BE",
            "*>DE-10", "Warehouse Leipzig>DE", "*>DE:BE", "region:DE-SN>DE", "*>DE", "*",
        )
    }  # fmt: skip


def test_a_file_that_cannot_be_read_changes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    first = CliRunner().invoke(app, ["eta", "import-history", str(_history(tmp_path / "h.csv"))])
    assert first.exit_code == 0, first.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,when,what\n1,2,3\n")
    result = CliRunner().invoke(app, ["eta", "import-history", str(wrong)])
    assert result.exit_code == 1
    assert "the header has no parcel, status, occurred_at column" in result.output
    network = select(lane_stat.c.parcels).where(lane_stat.c.key == "*")
    assert rows(settings.resolved_database_url, network) == [{"parcels": 60}]
    missing = CliRunner().invoke(app, ["eta", "backtest", "--history", str(tmp_path / "nothing.csv")])
    assert missing.exit_code == 1 and "is not a file" in missing.output


def test_a_store_that_does_not_answer_ends_the_import_with_its_own_message_and_code(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ORDERTRAIL_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/nothing")  # the discard port
    result = CliRunner().invoke(app, ["eta", "import-history", str(_history(tmp_path / "h.csv"))])
    assert result.exit_code == 2, result.output
    assert "ORDERTRAIL_DATABASE_URL" in result.output
    assert "error: 2" not in result.output  # the exit was once reported again as an error of its own
