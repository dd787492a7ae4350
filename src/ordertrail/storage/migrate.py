"""Bring a store's schema up to date with Alembic, from code (the CLI and ``serve`` call this), or check it is."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key held while migrating PostgreSQL ("ordertrail" in ASCII, folded to 63 bits).
ADVISORY_LOCK = int.from_bytes(b"ordertrail", "big") % (2**63)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` without any ini file on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision``; a no-op when already there. On PostgreSQL under an advisory lock."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), revision)
        return
    # Called from async code: the PostgreSQL environment runs its own event loop, which needs a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(command.upgrade, alembic_config(url), revision).result()


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The store's schema revision (None: no schema yet)."""
    return MigrationContext.configure(connection).get_current_revision()
