"""Start-up checks of a PostgreSQL store: reachable, and its schema at the revision this code needs.

PostgreSQL is shared by many processes, so they never migrate it on their own: ``ordertrail db upgrade`` does
(under an advisory lock), and everything else refuses to start on an older schema with a message that says so.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from ordertrail.storage.database import Database, open_database
from ordertrail.storage.migrate import current_revision, head_revision


class StoreProblem(RuntimeError):
    """The store cannot be used as configured; the message says why and what to do, in one line."""


def describe(url: str) -> str:
    """host:port/database of a PostgreSQL URL, without credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or ''}"


async def require_current_schema(db: Database) -> None:
    """Raise StoreProblem unless the schema is exactly at this code's head revision."""
    current = await db.read(current_revision)
    head = head_revision()
    if current != head:
        found = "no schema" if current is None else f"schema revision {current}"
        raise StoreProblem(
            f"the database has {found}, this version needs {head}: run `ordertrail db upgrade` first "
            "(once per deployment, before starting servers and workers)"
        )


async def check_store(url: str, *, connect_within: float = 5.0, schema: bool = True) -> None:
    """Connect to the PostgreSQL store at ``url`` (and check its schema); raise StoreProblem with a clear message."""
    db = open_database(url)
    try:
        try:
            await asyncio.wait_for(db.read(lambda connection: None), connect_within)
        except Exception as error:  # any failure to connect is reported the same way
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StoreProblem(
                f"ORDERTRAIL_DATABASE_URL: cannot reach PostgreSQL at {describe(url)}: {reason}"
            ) from error
        if schema:
            await require_current_schema(db)
    finally:
        await db.close()
