"""Server-side sessions (by the hash of their id) and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, delete, func, insert, select, update

from ordertrail.storage.staff.tables import sign_in_failure, staff_session


class SessionRow(NamedTuple):
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def insert_session(
    connection: Connection,
    *,
    id_hash: str,
    user_id: int,
    csrf_token: str,
    at: datetime,
    expires_at: datetime,
    address: str | None,
) -> None:
    connection.execute(
        insert(staff_session).values(
            id_hash=id_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=at,
            last_seen_at=at,
            expires_at=expires_at,
            address=address,
        )
    )


def session_by_hash(connection: Connection, id_hash: str) -> SessionRow | None:
    row = connection.execute(
        select(
            staff_session.c.user_id,
            staff_session.c.csrf_token,
            staff_session.c.created_at,
            staff_session.c.last_seen_at,
            staff_session.c.expires_at,
        ).where(staff_session.c.id_hash == id_hash)
    ).one_or_none()
    return None if row is None else SessionRow(*row)


def touch_session(connection: Connection, id_hash: str, *, at: datetime) -> None:
    connection.execute(update(staff_session).where(staff_session.c.id_hash == id_hash).values(last_seen_at=at))


def delete_session(connection: Connection, id_hash: str) -> None:
    connection.execute(delete(staff_session).where(staff_session.c.id_hash == id_hash))


def delete_sessions_of(connection: Connection, user_id: int, *, keep: str | None = None) -> int:
    """End every session of the user (but ``keep``); returns how many ended."""
    query = delete(staff_session).where(staff_session.c.user_id == user_id)
    if keep is not None:
        query = query.where(staff_session.c.id_hash != keep)
    return connection.execute(query).rowcount


def sessions_of(connection: Connection, user_id: int) -> int:
    return int(connection.execute(select(func.count()).where(staff_session.c.user_id == user_id)).scalar_one())


def record_failure(connection: Connection, *, email: str, address: str | None, at: datetime) -> None:
    connection.execute(insert(sign_in_failure).values(email=email, address=address, attempted_at=at))


def failures_since(connection: Connection, email: str, *, since: datetime) -> list[datetime]:
    rows = connection.execute(
        select(sign_in_failure.c.attempted_at).where(
            sign_in_failure.c.email == email, sign_in_failure.c.attempted_at > since
        )
    )
    return [row[0] for row in rows]


def clear_failures(connection: Connection, email: str) -> None:
    connection.execute(delete(sign_in_failure).where(sign_in_failure.c.email == email))
