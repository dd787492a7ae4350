"""Lane statistics: one JSON row per lane key (``lane_stat``), read whole or per key, written per key."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from ordertrail.domain.estimating.calibration import Calibration
from ordertrail.domain.estimating.histograms import DayHistogram, HourHistogram
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.storage.tables import lane_stat

# Keys read per query: PostgreSQL (asyncpg) takes at most 32,767 parameters in one statement, and a history
# import reads tens of thousands of keys.
KEYS_PER_QUERY = 10_000


def _merge_rows(stats: LaneStats, rows: Sequence[Any]) -> LaneStats:
    for row in rows:
        data = json.loads(row.data)
        totals = data.get("n", {})  # observations per situation; rows written before weights: the sums
        stats.ahead[row.key] = {s: DayHistogram(list(c), int(totals.get(s, sum(c)))) for s, c in data["ahead"].items()}
        stats.waits[row.key] = {s: HourHistogram(list(c)) for s, c in data["waits"].items()}
        if row.key == "*":
            stats.parcels = row.parcels
            stats.calibration = Calibration.from_dict(data.get("calibration", {}))
    return stats


def load_lane_stats(connection: Connection) -> LaneStats:
    """Everything learned so far."""
    return _merge_rows(LaneStats(), list(connection.execute(select(lane_stat))))


def lane_stats_for_update(connection: Connection, keys: Sequence[str]) -> tuple[LaneStats, dict[str, int]]:
    """The statistics of these lane keys (rows locked until commit on PostgreSQL) and their parcel counts."""
    rows: list[Any] = []
    wanted = list(keys)
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        query = select(lane_stat).where(lane_stat.c.key.in_(wanted[start : start + KEYS_PER_QUERY]))
        if connection.dialect.name != "sqlite":
            query = query.with_for_update()
        rows.extend(connection.execute(query))
    return _merge_rows(LaneStats(), rows), {row.key: row.parcels for row in rows}


def save_lane_stats(
    connection: Connection, stats: LaneStats, counts: dict[str, int], existing: set[str], *, now: datetime
) -> None:
    """Write back the keys of ``counts`` (``existing``: those that already have a row), as one batch of
    inserts and one of updates: an imported history writes tens of thousands of keys."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, parcels in counts.items():
        data = json.dumps(
            {
                "ahead": {s: h.counts for s, h in stats.ahead.get(key, {}).items()},
                "n": {s: h.total for s, h in stats.ahead.get(key, {}).items()},
                "waits": {s: h.counts for s, h in stats.waits.get(key, {}).items()},
                # The calibration is network-wide: it rides on the network key's row, locked with it.
                **({"calibration": stats.calibration.to_dict()} if key == "*" else {}),
            },
            separators=(",", ":"),
        )
        if key in existing:
            updates.append({"row_key": key, "data": data, "parcels": parcels, "updated_at": now})
        else:
            inserts.append({"key": key, "data": data, "parcels": parcels, "updated_at": now})
    if updates:
        connection.execute(update(lane_stat).where(lane_stat.c.key == bindparam("row_key")), updates)
    if inserts:
        connection.execute(insert(lane_stat), inserts)
