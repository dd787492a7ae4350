"""Staff TOTP secrets and the sign-ins waiting for a code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, or_, select, update

from ordertrail.storage.staff.tables import staff_sign_in_challenge, staff_totp


@dataclass(frozen=True, slots=True)
class TotpRow:
    secret: str
    confirmed_at: datetime | None
    last_step: int | None


def totp_of(connection: Connection, user_id: int) -> TotpRow | None:
    row = connection.execute(select(staff_totp).where(staff_totp.c.user_id == user_id)).one_or_none()
    return None if row is None else TotpRow(row.secret, row.confirmed_at, row.last_step)


def put_pending(connection: Connection, user_id: int, *, secret: str, at: datetime) -> None:
    """A new, unconfirmed secret (replacing an earlier unconfirmed one). The caller checks none is confirmed."""
    connection.execute(delete(staff_totp).where(staff_totp.c.user_id == user_id, staff_totp.c.confirmed_at.is_(None)))
    connection.execute(insert(staff_totp).values(user_id=user_id, secret=secret, created_at=at))


def use_step(connection: Connection, user_id: int, *, step: int, confirm_at: datetime | None = None) -> bool:
    """Record ``step`` as used, only if it is later than the last one: False when another request (or an earlier
    use of the same code) got there first. With ``confirm_at``, the pending secret becomes the account's."""
    values: dict[str, object] = {"last_step": step}
    if confirm_at is not None:
        values["confirmed_at"] = confirm_at
    result = connection.execute(
        update(staff_totp)
        .where(
            staff_totp.c.user_id == user_id,
            or_(staff_totp.c.last_step.is_(None), staff_totp.c.last_step < step),
        )
        .values(**values)
    )
    return result.rowcount == 1


def delete_totp(connection: Connection, user_id: int) -> bool:
    """Remove the account's secret (confirmed or pending); True when there was a confirmed one."""
    row = totp_of(connection, user_id)
    connection.execute(delete(staff_totp).where(staff_totp.c.user_id == user_id))
    connection.execute(delete(staff_sign_in_challenge).where(staff_sign_in_challenge.c.user_id == user_id))
    return row is not None and row.confirmed_at is not None


def insert_challenge(connection: Connection, *, id_hash: str, user_id: int, at: datetime, expires_at: datetime) -> None:
    # Expired ones of anyone are dropped here, so the table holds only sign-ins in progress.
    connection.execute(delete(staff_sign_in_challenge).where(staff_sign_in_challenge.c.expires_at <= at))
    connection.execute(
        insert(staff_sign_in_challenge).values(id_hash=id_hash, user_id=user_id, created_at=at, expires_at=expires_at)
    )


def challenge_user(connection: Connection, id_hash: str, *, now: datetime) -> int | None:
    """The user of an unexpired challenge."""
    row = connection.execute(
        select(staff_sign_in_challenge.c.user_id).where(
            staff_sign_in_challenge.c.id_hash == id_hash, staff_sign_in_challenge.c.expires_at > now
        )
    ).one_or_none()
    return None if row is None else int(row.user_id)


def delete_challenge(connection: Connection, id_hash: str) -> bool:
    result = connection.execute(delete(staff_sign_in_challenge).where(staff_sign_in_challenge.c.id_hash == id_hash))
    return result.rowcount == 1
