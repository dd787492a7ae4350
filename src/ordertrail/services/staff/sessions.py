"""Signing in (with a lockout kept in the store, so it holds across server processes; then the TOTP code when the
account has one), opaque server-side sessions with an idle and an absolute expiry, and signing out (here, or
everywhere)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.errors import InvalidTotpCode, SessionEnded, SignInChallengeEnded, SignInFailed, SignInLocked
from ordertrail.domain.staff import tokens, totp
from ordertrail.domain.staff.audit import Action, Actor, ActorKind, staff_actor
from ordertrail.domain.staff.roles import StaffUser, normal_email
from ordertrail.services.ports import Ports
from ordertrail.services.staff.context import StaffRules
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff import sessions as session_store
from ordertrail.storage.staff import totp as totp_store
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


@dataclass(frozen=True, slots=True)
class CodeNeeded:
    """The password was right and the account has a second factor: ``challenge`` goes in the code form (its hash
    alone is stored) and ``finish_sign_in`` opens the session once the code is right."""

    challenge: str


CHALLENGE_TTL = timedelta(minutes=5)


def _typed_actor(email: str, address: str | None) -> Actor:
    return Actor(kind=ActorKind.STAFF, name=email or "(empty)", address=address)


async def refuse_if_locked(services: Ports, rules: StaffRules, email: str, actor: Actor, now: datetime) -> None:
    """Raises SignInLocked when the account's recent failures lock it (audited)."""
    policy = rules.lockout
    failures = await services.db.read(lambda c: session_store.failures_since(c, email, since=now - policy.window))
    locked_until = policy.locked_until(failures, now=now)
    if locked_until is not None:
        await services.db.write(
            lambda c: audit_store.append(c, actor=actor, action=Action.SIGN_IN_LOCKED, at=now, detail={})
        )
        raise SignInLocked(max(1, math.ceil((locked_until - now).total_seconds())))


async def record_failure(services: Ports, email: str, actor: Actor, now: datetime, detail: dict[str, str]) -> None:
    """A failed sign-in (or second-factor code): counted toward the lockout and audited."""

    def failed(connection: Connection) -> None:
        session_store.record_failure(connection, email=email, address=actor.address, at=now)
        audit_store.append(connection, actor=actor, action=Action.SIGN_IN_FAILED, at=now, detail=detail)

    await services.db.write(failed)


async def sign_in(
    services: Ports, rules: StaffRules, *, email: str, password: str, address: str | None
) -> SignedIn | CodeNeeded:
    """Check the password and open a session, or (with a second factor) ask for the code. Raises SignInLocked
    (before any password is checked) or SignInFailed (the same for an unknown email, a disabled account and a
    wrong password)."""
    email = normal_email(email)[:320]
    typed = _typed_actor(email, address)
    now = services.clock()
    await refuse_if_locked(services, rules, email, typed, now)
    found = await services.db.read(lambda c: user_store.user_by_email(c, email))
    user, stored = found if found is not None else (None, None)
    if user is None or stored is None or user.disabled_at is not None:
        await asyncio.to_thread(rules.passwords.waste_time, password)
        ok = False
    else:
        ok = await asyncio.to_thread(rules.passwords.verify, stored, password)
    if not ok or user is None or stored is None:
        await record_failure(services, email, typed, now, {})
        raise SignInFailed()
    rehashed = await asyncio.to_thread(rules.passwords.hash, password) if rules.passwords.needs_rehash(stored) else None
    password_user, old_hash = user, stored

    def after_password(connection: Connection) -> SignedIn | CodeNeeded:
        if rehashed is not None:
            user_store.replace_hash(connection, password_user.id, old=old_hash, new=rehashed)
        second = totp_store.totp_of(connection, password_user.id)
        if second is None or second.confirmed_at is None:
            return _open_session(connection, rules, password_user, address, now, {"rehashed": rehashed is not None})
        # The failures are not cleared yet: a right password with wrong codes must still end in the lockout.
        challenge = tokens.new_secret()
        totp_store.insert_challenge(
            connection,
            id_hash=tokens.hash_secret(challenge),
            user_id=password_user.id,
            at=now,
            expires_at=now + CHALLENGE_TTL,
        )
        audit_store.append(
            connection,
            actor=staff_actor(password_user, address),
            action=Action.SIGN_IN_CODE_ASKED,
            at=now,
            detail={"rehashed": rehashed is not None},
        )
        return CodeNeeded(challenge)

    return await services.db.write(after_password)


async def finish_sign_in(
    services: Ports, rules: StaffRules, *, challenge: str, code: str, address: str | None
) -> SignedIn:
    """The second step: the code of the account whose password was just right. Raises SignInChallengeEnded (unknown
    or expired: start again), SignInLocked, or InvalidTotpCode (a wrong or replayed code, counted as a failed
    sign-in)."""
    if not tokens.looks_like_secret(challenge):
        raise SignInChallengeEnded()
    id_hash = tokens.hash_secret(challenge)
    now = services.clock()

    def read(connection: Connection) -> tuple[StaffUser, totp_store.TotpRow] | None:
        user_id = totp_store.challenge_user(connection, id_hash, now=now)
        user = None if user_id is None else user_store.user_by_id(connection, user_id)
        second = None if user is None else totp_store.totp_of(connection, user.id)
        if user is None or not user.active or second is None or second.confirmed_at is None:
            return None
        return user, second

    found = await services.db.read(read)
    if found is None:
        raise SignInChallengeEnded()
    user, second = found
    actor = staff_actor(user, address)
    await refuse_if_locked(services, rules, user.email, actor, now)
    step = totp.matching_step(second.secret, code, now=now, after_step=second.last_step)

    def open_it(connection: Connection) -> SignedIn | None:
        # Both the step and the challenge are claimed in the same transaction: two requests racing with one code
        # (or one challenge) cannot both win.
        if step is None or not totp_store.use_step(connection, user.id, step=step):
            return None
        if not totp_store.delete_challenge(connection, id_hash):
            raise SignInChallengeEnded()
        return _open_session(connection, rules, user, address, now, {"second_factor": "totp"})

    signed = await services.db.write(open_it)
    if signed is None:
        await record_failure(services, user.email, actor, now, {"second_factor": "totp"})
        raise InvalidTotpCode()
    return signed


def _open_session(
    connection: Connection,
    rules: StaffRules,
    user: StaffUser,
    address: str | None,
    now: datetime,
    detail: dict[str, Any],
) -> SignedIn:
    session_id, csrf = tokens.new_secret(), tokens.new_secret()
    id_hash = tokens.hash_secret(session_id)
    session_store.clear_failures(connection, user.email)
    session_store.insert_session(
        connection,
        id_hash=id_hash,
        user_id=user.id,
        csrf_token=csrf,
        at=now,
        expires_at=now + rules.session_max,
        address=address,
    )
    audit_store.append(connection, actor=staff_actor(user, address), action=Action.SIGNED_IN, at=now, detail=detail)
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
