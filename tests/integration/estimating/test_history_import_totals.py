"""Importing a history stores exactly what learning its parcels one by one teaches: every lane key's row, its
histograms and its parcel count, on a fresh store and on top of statistics learned before.

The import merges lanes per key and writes every key in one batch (docs/eta.md, "Speed"); the reference here
is the plainest path there is, ``LaneStats.learn_delivered`` for each parcel in turn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.demo.shop_history import write_history
from ordertrail.domain.estimating.history import iter_lines, read_history
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.services.estimating.calendars import calendar_book
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.settings import Settings
from ordertrail.storage.tables import lane_stat
from tests.support.store import rows


def _stored(settings: Settings) -> dict[str, tuple[int, dict[str, Any]]]:
    """Every lane statistics row: key -> (parcels, data as stored)."""
    found = rows(settings.resolved_database_url, select(lane_stat.c.key, lane_stat.c.parcels, lane_stat.c.data))
    return {row["key"]: (row["parcels"], json.loads(row["data"])) for row in found}


def _expected(path: Path, times: int) -> dict[str, tuple[int, dict[str, Any]]]:
    """The rows that learning every parcel of the file one by one, ``times`` over, makes."""
    runtime = runtime_for(enabled=True)
    assert runtime is not None
    with path.open(newline="", encoding="utf-8") as lines:
        read = read_history(iter_lines(iter(lines)))
    stats = LaneStats()
    parcels: dict[str, int] = {}
    for _ in range(times):
        for parcel in read.parcels:
            stats.learn_delivered(parcel.lane, parcel.visits(), runtime.calendar(parcel.country, parcel.region))
            for _, key in parcel.lane.fallbacks():
                parcels[key] = parcels.get(key, 0) + 1
    return {
        key: (
            count,
            {
                "ahead": {name: histogram.counts for name, histogram in stats.ahead[key].items()},
                "n": {name: histogram.total for name, histogram in stats.ahead[key].items()},
                "waits": {name: histogram.counts for name, histogram in stats.waits[key].items()},
                **({"calibration": stats.calibration.to_dict()} if key == "*" else {}),
            },
        )
        for key, count in parcels.items()
    }


def test_an_import_stores_what_learning_each_parcel_teaches_fresh_and_on_top(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    history = tmp_path / "shop.csv"
    with history.open("w", newline="", encoding="utf-8") as out:
        write_history(out, parcels=600, seed=5, calendars=calendar_book())
    first = CliRunner().invoke(app, ["eta", "import-history", str(history)])
    assert first.exit_code == 0, first.output
    assert "learned 600 delivered parcels" in first.output
    stored = _stored(settings)
    expected = _expected(history, times=1)
    assert len(stored) > 100  # many sellers: hundreds of lane keys, most of them inserted in the one batch
    assert stored == expected
    # Again: every row now exists and is updated in place, counting the file twice.
    second = CliRunner().invoke(app, ["eta", "import-history", str(history)])
    assert second.exit_code == 0, second.output
    assert _stored(settings) == _expected(history, times=2)
