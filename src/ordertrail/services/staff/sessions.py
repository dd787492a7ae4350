"""Signing in (with a lockout kept in the store, so it holds across server processes), opaque server-side
sessions with an idle and an absolute expiry, and signing out (here, or everywhere)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection

from ordertrail.domain.errors import SessionEnded, SignInFailed, SignInLocked
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.audit import Action, Actor, ActorKind, staff_actor
from ordertrail.domain.staff.roles import StaffUser, normal_email
from ordertrail.services.ports import Ports
from ordertrail.services.staff.context import StaffRules
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff import sessions as session_store
from ordertrail.storage.staff import users as user_store

# A session's last_seen_at is written at most this often: not a write per page view.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A live session: its user, its CSRF token, and the hash that names it in the store."""

    user: StaffUser
    csrf_token: str
    id_hash: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """``session_id`` goes in the cookie and nowhere else; the store keeps only its hash."""

    session_id: str
    session: StaffSession


async def sign_in(services: Ports, rules: StaffRules, *, email: str, password: str, address: str | None) -> SignedIn:
    """Check the password and open a session. Raises SignInLocked (before any password is checked) or
    SignInFailed (the same for an unknown email, a disabled account and a wrong password)."""
    email = normal_email(email)[:320]
    typed = Actor(kind=ActorKind.STAFF, name=email or "(empty)", address=address)
    now = services.clock()
    policy = rules.lockout
    failures = await services.db.read(lambda c: session_store.failures_since(c, email, since=now - policy.window))
    locked_until = policy.locked_until(failures, now=now)
    if locked_until is not None:
        await services.db.write(
            lambda c: audit_store.append(c, actor=typed, action=Action.SIGN_IN_LOCKED, at=now, detail={})
        )
        raise SignInLocked(max(1, math.ceil((locked_until - now).total_seconds())))
    found = await services.db.read(lambda c: user_store.user_by_email(c, email))
    user, stored = found if found is not None else (None, None)
    if user is None or stored is None or user.disabled_at is not None:
        await asyncio.to_thread(rules.passwords.waste_time, password)
        ok = False
    else:
        ok = await asyncio.to_thread(rules.passwords.verify, stored, password)
    if not ok or user is None or stored is None:

        def failed(connection: Connection) -> None:
            session_store.record_failure(connection, email=email, address=address, at=now)
            audit_store.append(connection, actor=typed, action=Action.SIGN_IN_FAILED, at=now, detail={})

        await services.db.write(failed)
        raise SignInFailed()
    rehashed = await asyncio.to_thread(rules.passwords.hash, password) if rules.passwords.needs_rehash(stored) else None
    session_id, csrf = tokens.new_secret(), tokens.new_secret()
    id_hash = tokens.hash_secret(session_id)
    signed_in_user = user

    def open_session(connection: Connection) -> None:
        session_store.clear_failures(connection, email)
        if rehashed is not None:
            user_store.replace_hash(connection, signed_in_user.id, old=stored, new=rehashed)
        session_store.insert_session(
            connection,
            id_hash=id_hash,
            user_id=signed_in_user.id,
            csrf_token=csrf,
            at=now,
            expires_at=now + rules.session_max,
            address=address,
        )
        audit_store.append(
            connection,
            actor=staff_actor(signed_in_user, address),
            action=Action.SIGNED_IN,
            at=now,
            detail={"rehashed": rehashed is not None},
        )

    await services.db.write(open_session)
    return SignedIn(session_id, StaffSession(user, csrf, id_hash))


async def session_of(services: Ports, rules: StaffRules, *, session_id: str | None) -> StaffSession:
    """The live session a cookie names. Raises SessionEnded (unknown, idle too long, too old, user disabled)."""
    if not session_id or not tokens.looks_like_secret(session_id):
        raise SessionEnded()
    id_hash = tokens.hash_secret(session_id)
    now = services.clock()

    def read(connection: Connection) -> tuple[session_store.SessionRow, StaffUser | None] | None:
        row = session_store.session_by_hash(connection, id_hash)
        return None if row is None else (row, user_store.user_by_id(connection, row.user_id))

    found = await services.db.read(read)
    if found is None:
        raise SessionEnded()
    row, user = found
    expired = now >= row.expires_at or now - row.last_seen_at >= rules.session_idle
    if expired or user is None or not user.active:
        await services.db.write(lambda c: session_store.delete_session(c, id_hash))
        raise SessionEnded()
    if now - row.last_seen_at >= TOUCH_EVERY:
        await services.db.write(lambda c: session_store.touch_session(c, id_hash, at=now))
    return StaffSession(user, row.csrf_token, id_hash)


async def sign_out(services: Ports, session: StaffSession, *, address: str | None, everywhere: bool = False) -> int:
    """End this session (``everywhere``: every session of its user); returns how many ended."""
    now = services.clock()

    def transaction(connection: Connection) -> int:
        if everywhere:
            ended = session_store.delete_sessions_of(connection, session.user.id)
        else:
            session_store.delete_session(connection, session.id_hash)
            ended = 1
        action = Action.SIGNED_OUT_EVERYWHERE if everywhere else Action.SIGNED_OUT
        audit_store.append(
            connection, actor=staff_actor(session.user, address), action=action, at=now, detail={"sessions": ended}
        )
        return ended

    return await services.db.write(transaction)
