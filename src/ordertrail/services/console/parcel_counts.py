"""Keeping the overview's parcels-by-status cheap to read: folding the change rows the store's triggers append
(storage/console/parcel_counts.py) into the counts, every few seconds, off the scan's transaction.

A read is exact however far behind the folding is; folding only keeps what a read sums small.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from sqlalchemy import Connection

from ordertrail.services.ports import Ports
from ordertrail.storage.console import parcel_counts as count_store

log = logging.getLogger(__name__)

FOLD_INTERVAL_S: Final = 2.0
# Rows per write transaction: a few milliseconds of the single writer's time, so scans never wait long behind it.
FOLD_BATCH: Final = 5_000


async def fold_changes(services: Ports) -> int:
    """Fold every change row there is now, a batch per transaction; returns how many were folded."""
    folded = 0
    while await services.db.read(count_store.any_pending):

        def fold(connection: Connection) -> int:
            return count_store.fold(connection, limit=FOLD_BATCH)

        done = await services.db.write(fold)
        folded += done
        if done < FOLD_BATCH:
            break
    return folded


async def run_count_folder(services: Ports, *, stop: asyncio.Event, interval: float = FOLD_INTERVAL_S) -> None:
    """Fold every ``interval`` seconds until ``stop`` is set (``serve`` and the worker run this)."""
    while not stop.is_set():
        try:
            await fold_changes(services)
        except Exception:  # the store is busy or away: the counts stay exact, the next fold catches up
            log.exception("folding parcel counts failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
