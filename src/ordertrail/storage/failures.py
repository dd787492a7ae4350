"""What the store's own errors mean to the caller: a full disk is a StoreFull, and the store remembers it.

A write on a full disk fails as a whole (SQLite rolls the transaction back, PostgreSQL aborts it), so nothing
of it is stored and the sender may retry. ``WriteHealth`` keeps the last such failure so ``/readyz`` can say the
store is unwritable for a while. A write that commits meanwhile does not clear it: small updates (a worker's
claim) can still fit on a disk where new rows no longer do. Nothing needs resetting once space is free: the
next write simply succeeds.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from ordertrail.domain.errors import StoreFull

RETRY_AFTER_S = 5
# PostgreSQL's disk_full (class 53, insufficient resources): the data or WAL volume could not grow.
PG_DISK_FULL = "53100"
# Below this much free space where the SQLite file lives the store counts as full: a group commit of a few
# thousand scans writes a few MiB of WAL, and SQLite lets the WAL grow to ~4 MiB before it checkpoints.
SQLITE_MIN_FREE_BYTES = 1 << 20


def is_disk_full(error: BaseException) -> bool:
    """Whether a driver error (bare, or wrapped by SQLAlchemy) says the disk is full."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return getattr(orig, "sqlstate", None) == PG_DISK_FULL


class WriteHealth:
    """When a store's write last failed on a full disk."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.full_since: float | None = None  # clock() at the last failure

    def failed(self) -> StoreFull:
        """Remember the failure; returns the error to raise instead of the driver's."""
        self.full_since = self.clock()
        return StoreFull(RETRY_AFTER_S)

    def problem(self, *, sqlite_path: Path | None) -> str | None:
        """Why the store cannot take writes now, or None.

        SQLite: the free space where its file lives decides (so this clears as soon as space is freed). Either
        store: a write failed on a full disk in the last RETRY_AFTER_S seconds. Past that the store is offered
        writes again, and the next ones tell: they succeed, or one fails and sets this anew (for PostgreSQL,
        whose disks this process cannot see, that is the only way to know).
        """
        if sqlite_path is not None:
            free = shutil.disk_usage(sqlite_path.parent).free
            if free < SQLITE_MIN_FREE_BYTES:
                return f"The disk holding the store is full ({free} bytes free)."
        since = self.full_since
        if since is not None and self.clock() - since < RETRY_AFTER_S:
            return "The store's last write failed: its disk is full."
        return None
