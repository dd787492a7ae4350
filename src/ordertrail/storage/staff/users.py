"""Staff users, the merchants they work for, and their invitations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ordertrail.domain.staff.roles import StaffRole, StaffUser
from ordertrail.storage.staff.tables import staff_invitation, staff_user, staff_user_merchant
from ordertrail.storage.types import new_id


def _user(row: Any, merchant_ids: Sequence[int]) -> StaffUser:
    return StaffUser(
        id=row.id,
        email=row.email,
        role=StaffRole(row.role),
        merchant_ids=frozenset(merchant_ids),
        created_at=row.created_at,
        password_set_at=row.password_set_at,
        disabled_at=row.disabled_at,
    )


def _merchants_of(connection: Connection, user_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        query = select(staff_user_merchant).where(staff_user_merchant.c.user_id.in_(user_ids))
        for row in connection.execute(query):
            found[row.user_id].append(row.merchant_id)
    return found


def insert_user(
    connection: Connection, *, email: str, role: StaffRole, merchant_ids: Sequence[int], at: datetime
) -> int:
    user_id = new_id(connection.execute(insert(staff_user).values(email=email, role=role.value, created_at=at)))
    if merchant_ids:
        connection.execute(
            insert(staff_user_merchant), [{"user_id": user_id, "merchant_id": m} for m in sorted(set(merchant_ids))]
        )
    return user_id


def user_by_email(connection: Connection, email: str) -> tuple[StaffUser, str | None] | None:
    """The user with that (normalised) email and their password hash."""
    row = connection.execute(select(staff_user).where(staff_user.c.email == email)).one_or_none()
    if row is None:
        return None
    return _user(row, _merchants_of(connection, [row.id])[row.id]), row.password_hash


def user_by_id(connection: Connection, user_id: int) -> StaffUser | None:
    row = connection.execute(select(staff_user).where(staff_user.c.id == user_id)).one_or_none()
    return None if row is None else _user(row, _merchants_of(connection, [row.id])[row.id])


def list_users(connection: Connection) -> list[StaffUser]:
    rows = list(connection.execute(select(staff_user).order_by(staff_user.c.id)))
    merchants = _merchants_of(connection, [r.id for r in rows])
    return [_user(r, merchants[r.id]) for r in rows]


def set_password(connection: Connection, user_id: int, *, password_hash: str | None, at: datetime | None) -> None:
    connection.execute(
        update(staff_user).where(staff_user.c.id == user_id).values(password_hash=password_hash, password_set_at=at)
    )


def replace_hash(connection: Connection, user_id: int, *, old: str, new: str) -> None:
    """Store a rehashed password, unless the password changed meanwhile."""
    connection.execute(
        update(staff_user)
        .where(staff_user.c.id == user_id, staff_user.c.password_hash == old)
        .values(password_hash=new)
    )


def disable_user(connection: Connection, user_id: int, *, at: datetime) -> bool:
    result = connection.execute(
        update(staff_user).where(staff_user.c.id == user_id, staff_user.c.disabled_at.is_(None)).values(disabled_at=at)
    )
    return result.rowcount == 1


def insert_invitation(
    connection: Connection, *, user_id: int, token_hash: str, at: datetime, expires_at: datetime
) -> None:
    """A new invitation; the user's older ones stop working."""
    connection.execute(
        update(staff_invitation)
        .where(staff_invitation.c.user_id == user_id, staff_invitation.c.used_at.is_(None))
        .values(used_at=at)
    )
    connection.execute(
        insert(staff_invitation).values(user_id=user_id, token_hash=token_hash, created_at=at, expires_at=expires_at)
    )


def open_invitation(connection: Connection, token_hash: str, *, now: datetime) -> tuple[int, int] | None:
    """(invitation id, user id) of an unused, unexpired invitation."""
    row = connection.execute(
        select(staff_invitation.c.id, staff_invitation.c.user_id).where(
            staff_invitation.c.token_hash == token_hash,
            staff_invitation.c.used_at.is_(None),
            staff_invitation.c.expires_at > now,
        )
    ).one_or_none()
    return None if row is None else (row.id, row.user_id)


def use_invitation(connection: Connection, invitation_id: int, *, at: datetime) -> bool:
    """Mark it used; False when another request used it first."""
    result = connection.execute(
        update(staff_invitation)
        .where(staff_invitation.c.id == invitation_id, staff_invitation.c.used_at.is_(None))
        .values(used_at=at)
    )
    return result.rowcount == 1


def remove_merchants(connection: Connection, user_id: int) -> None:
    connection.execute(delete(staff_user_merchant).where(staff_user_merchant.c.user_id == user_id))
