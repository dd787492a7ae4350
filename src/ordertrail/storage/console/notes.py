"""Parcel notes: written once, read per parcel in the order they were written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.console.notes import Note
from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.storage.console.tables import parcel_note

_UNIQUE = [parcel_note.c.author_kind, parcel_note.c.author_id, parcel_note.c.idempotency_key]


def _note(row: Any) -> Note:
    return Note(
        id=row.id,
        parcel_id=row.parcel_id,
        at=row.at,
        author_kind=ActorKind(row.author_kind),
        author_id=row.author_id,
        author=row.author,
        message=row.message,
    )


def add_note(
    connection: Connection,
    *,
    parcel_id: int,
    author: Actor,
    message: str,
    at: datetime,
    idempotency_key: str | None,
    body_hash: str,
) -> Note | None:
    """The new note, or None when the author already used ``idempotency_key`` (then nothing is written).

    ON CONFLICT DO NOTHING rather than read-then-insert: two retries racing on PostgreSQL both get an answer (the
    second waits for the first and writes nothing) instead of one failing on the unique constraint.
    """
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(parcel_note).values(
        parcel_id=parcel_id,
        at=at,
        author_kind=author.kind.value,
        author_id=author.id,
        author=author.name,
        message=message,
        idempotency_key=idempotency_key,
        body_hash=body_hash,
    )
    if idempotency_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=_UNIQUE)
    row = connection.execute(statement.returning(*parcel_note.c)).first()
    return None if row is None else _note(row)


def note_by_key(connection: Connection, *, author: Actor, idempotency_key: str) -> tuple[Note, str] | None:
    """The note the author wrote under ``idempotency_key``, with its body hash."""
    row = connection.execute(
        select(parcel_note).where(
            parcel_note.c.author_kind == author.kind.value,
            parcel_note.c.author_id == author.id,
            parcel_note.c.idempotency_key == idempotency_key,
        )
    ).first()
    return None if row is None else (_note(row), row.body_hash)


def notes_of(connection: Connection, parcel_id: int) -> list[Note]:
    rows = connection.execute(
        select(parcel_note).where(parcel_note.c.parcel_id == parcel_id).order_by(parcel_note.c.id)
    )
    return [_note(r) for r in rows]
