"""Where the time of ``ordertrail eta import-history`` goes: wall and CPU of each phase, on a real store.

``ORDERTRAIL_DATA_DIR=$(mktemp -d) .venv/bin/python -m bench.import_phases big.csv``
(``ordertrail eta generate-history big.csv --parcels 286000`` writes about a million rows; set
``ORDERTRAIL_DATABASE_URL`` for PostgreSQL, after ``ordertrail db upgrade``.)

The phases are the real functions, timed where they are called: reading the file, counting parcels per lane,
merging lanes per key (before the transaction), and the write transaction with its parts (the rows read, the
additions, JSON and SQL). The write runs on this thread instead of the store's writer thread, so that every
phase is measured in one place; the cyclic garbage collector is paused, as the command pauses it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ordertrail.cli.common import load_settings, prepare_store
from ordertrail.domain.estimating import stats
from ordertrail.domain.estimating.history import iter_lines, read_history
from ordertrail.runtime import open_runtime
from ordertrail.services.estimating import importing
from ordertrail.storage.estimating import lane_stats

T = TypeVar("T")
MARKS: list[tuple[str, float, float]] = []


def timed(name: str, fn: Callable[..., T]) -> Callable[..., T]:
    def measured(*args: Any, **kwargs: Any) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            MARKS.append((name, time.perf_counter() - wall, time.process_time() - cpu))

    return measured


async def _import(path: Path) -> int:
    settings = load_settings()
    prepare_store(settings)
    async with open_runtime(settings) as runtime:
        services = runtime.services
        write_now = timed("write transaction", services.db.write_now)

        async def write(fn: Callable[..., T]) -> T:
            return write_now(fn)

        services.db.write = write  # type: ignore[method-assign]
        with path.open(newline="", encoding="utf-8") as lines:
            read = timed("read the file", read_history)(iter_lines(iter(lines)))
        return await importing.import_history(services, read.parcels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    importing.tally_history = timed("count per lane", importing.tally_history)  # type: ignore[assignment]
    importing.tallies_by_key = timed("merge per key", importing.tallies_by_key)  # type: ignore[assignment]
    lane_stats.lane_stats_for_update = timed("  read the keys' rows", lane_stats.lane_stats_for_update)  # type: ignore[assignment]
    stats.LaneStats.add_by_key = timed("  add per key", stats.LaneStats.add_by_key)  # type: ignore[method-assign]
    lane_stats.save_lane_stats = timed("  JSON and SQL", lane_stats.save_lane_stats)  # type: ignore[assignment]
    gc.disable()
    wall, cpu = time.perf_counter(), time.process_time()
    learned = asyncio.run(_import(args.file))
    print(f"learned {learned} parcels from {args.file}")
    for name, seconds, cpu_seconds in MARKS:
        print(f"{name:24s} {seconds:6.1f} s wall {cpu_seconds:6.1f} s CPU")
    print(f"{'whole (in process)':24s} {time.perf_counter() - wall:6.1f} s wall {time.process_time() - cpu:6.1f} s CPU")


if __name__ == "__main__":
    main()
