"""Staff accounts: invited (or reset) with a one-time link, listed, disabled; a password chosen from the link.

Every change is written to the audit log in its own transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.errors import (
    DuplicateStaffUser,
    InvalidInput,
    InvalidInvitation,
    MerchantNotFound,
    StaffUserNotFound,
    WeakPassword,
)
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.audit import Action, Actor, staff_actor
from ordertrail.domain.staff.passwords import password_problem
from ordertrail.domain.staff.roles import StaffRole, StaffUser, merchant_rule, normal_email, plausible_email
from ordertrail.services.ports import Ports
from ordertrail.services.staff import second_factor
from ordertrail.services.staff.context import StaffRules
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff import sessions as session_store
from ordertrail.storage.staff import users as user_store


@dataclass(frozen=True, slots=True)
class Invitation:
    """A new invitation: ``url`` is shown once; only the token's hash is kept."""

    user: StaffUser
    url: str


def _new_invitation(connection: Connection, services: Ports, rules: StaffRules, user_id: int) -> str:
    token = tokens.new_secret()
    now = services.clock()
    user_store.insert_invitation(
        connection, user_id=user_id, token_hash=tokens.hash_secret(token), at=now, expires_at=now + rules.invitation_ttl
    )
    return rules.invitation_url(token)


async def invite_user(
    services: Ports, rules: StaffRules, *, actor: Actor, email: str, role: StaffRole, merchants: Sequence[str] = ()
) -> Invitation:
    """Create a staff account and its invitation. Raises InvalidInput, MerchantNotFound, DuplicateStaffUser."""
    email = normal_email(email)
    if not plausible_email(email):
        raise InvalidInput("That is not an email address.", field="email")
    names = list(dict.fromkeys(m.strip() for m in merchants if m.strip()))
    if (problem := merchant_rule(role, len(names))) is not None:
        raise InvalidInput(problem, field="merchant")

    def transaction(connection: Connection) -> Invitation:
        if user_store.user_by_email(connection, email) is not None:
            raise DuplicateStaffUser(f"A staff user {email} already exists.", field="email")
        merchant_ids = []
        for name in names:
            found = merchant_store.merchant_id_by_name(connection, name)
            if found is None:
                raise MerchantNotFound(f"No merchant {name!r}.", field="merchant")
            merchant_ids.append(found)
        user_id = user_store.insert_user(
            connection, email=email, role=role, merchant_ids=merchant_ids, at=services.clock()
        )
        url = _new_invitation(connection, services, rules, user_id)
        user = user_store.user_by_id(connection, user_id)
        assert user is not None
        audit_store.append(
            connection,
            actor=actor,
            action=Action.USER_INVITED,
            at=services.clock(),
            merchant_id=merchant_ids[0] if len(merchant_ids) == 1 else None,
            detail={"email": email, "role": role.value, "merchants": names},
        )
        return Invitation(user, url)

    return await services.db.write(transaction)


async def list_users(services: Ports) -> list[StaffUser]:
    return await services.db.read(user_store.list_users)


def _existing(connection: Connection, email: str) -> StaffUser:
    found = user_store.user_by_email(connection, normal_email(email))
    if found is None:
        raise StaffUserNotFound(f"No staff user {email}.", field="email")
    return found[0]


async def disable_user(services: Ports, *, actor: Actor, email: str) -> StaffUser:
    """Disable an account: its sessions end at once and it cannot sign in. Raises StaffUserNotFound."""

    def transaction(connection: Connection) -> StaffUser:
        user = _existing(connection, email)
        user_store.disable_user(connection, user.id, at=services.clock())
        ended = session_store.delete_sessions_of(connection, user.id)
        audit_store.append(
            connection,
            actor=actor,
            action=Action.USER_DISABLED,
            at=services.clock(),
            detail={"email": user.email, "sessions_ended": ended},
        )
        return user

    return await services.db.write(transaction)


async def reset_user(services: Ports, rules: StaffRules, *, actor: Actor, email: str) -> Invitation:
    """A new invitation for an existing account: its password, sessions and second factor stop working.

    Raises StaffUserNotFound, InvalidInput for a disabled account.
    """

    def transaction(connection: Connection) -> Invitation:
        user = _existing(connection, email)
        if user.disabled_at is not None:
            raise InvalidInput(f"{user.email} is disabled.", field="email")
        user_store.set_password(connection, user.id, password_hash=None, at=None)
        session_store.delete_sessions_of(connection, user.id)
        url = _new_invitation(connection, services, rules, user.id)
        # A reset starts the account again (a forgotten password often comes with a lost phone): the second
        # factor goes too, and the person may set it up again once signed in.
        totp_removed = second_factor.remove_in(connection, user, actor=actor, services=services)
        audit_store.append(
            connection,
            actor=actor,
            action=Action.USER_RESET,
            at=services.clock(),
            detail={"email": user.email, "totp_removed": totp_removed},
        )
        refreshed = user_store.user_by_id(connection, user.id)
        assert refreshed is not None
        return Invitation(refreshed, url)

    return await services.db.write(transaction)


def _invitation_hash(token: str) -> str:
    if not tokens.looks_like_secret(token):
        raise InvalidInvitation()
    return tokens.hash_secret(token)


async def invited_user(services: Ports, *, token: str) -> StaffUser:
    """The account an invitation link is for (opening it changes nothing). Raises InvalidInvitation."""
    token_hash = _invitation_hash(token)

    def read(connection: Connection) -> StaffUser:
        found = user_store.open_invitation(connection, token_hash, now=services.clock())
        user = user_store.user_by_id(connection, found[1]) if found else None
        if user is None or user.disabled_at is not None:
            raise InvalidInvitation()
        return user

    return await services.db.read(read)


async def accept_invitation(
    services: Ports, rules: StaffRules, *, token: str, password: str, address: str | None
) -> StaffUser:
    """Set the password from an invitation, once. Raises InvalidInvitation, WeakPassword."""
    user = await invited_user(services, token=token)
    if (problem := password_problem(password, email=user.email)) is not None:
        raise WeakPassword(problem, field="password")
    password_hash = await asyncio.to_thread(rules.passwords.hash, password)
    token_hash = _invitation_hash(token)

    def transaction(connection: Connection) -> StaffUser:
        now = services.clock()
        found = user_store.open_invitation(connection, token_hash, now=now)
        if found is None or not user_store.use_invitation(connection, found[0], at=now):
            raise InvalidInvitation()
        user_store.set_password(connection, user.id, password_hash=password_hash, at=now)
        session_store.delete_sessions_of(connection, user.id)
        session_store.clear_failures(connection, user.email)
        audit_store.append(connection, actor=staff_actor(user, address), action=Action.PASSWORD_SET, at=now)
        refreshed = user_store.user_by_id(connection, user.id)
        assert refreshed is not None
        return refreshed

    return await services.db.write(transaction)
