"""A person's optional TOTP second factor: set up (a pending secret, taking effect once a current code confirms
it), turned off with a current code, or removed by an admin (a lost phone). Every change is audited.

Signing in with the code is in ``sessions``; this module is the account page's and the admin's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from ordertrail.domain.errors import InvalidInput, InvalidTotpCode, StaffUserNotFound, TotpNotEnabled
from ordertrail.domain.staff import totp
from ordertrail.domain.staff.audit import Action, Actor, staff_actor
from ordertrail.domain.staff.roles import StaffUser, normal_email
from ordertrail.services.ports import Ports
from ordertrail.services.staff import sessions
from ordertrail.services.staff.context import StaffRules
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff import totp as totp_store
from ordertrail.storage.staff import users as user_store

ISSUER = "ordertrail"


class TotpState(StrEnum):
    OFF = "off"
    PENDING = "pending"  # a secret was shown; no code has confirmed it yet
    ON = "on"


@dataclass(frozen=True, slots=True)
class TotpStatus:
    state: TotpState
    # Shown only while pending: the person is copying it into their app. Once on, it is never shown again.
    secret: str | None = None
    uri: str | None = None


def _status(user: StaffUser, row: totp_store.TotpRow | None) -> TotpStatus:
    if row is None:
        return TotpStatus(TotpState.OFF)
    if row.confirmed_at is not None:
        return TotpStatus(TotpState.ON)
    return TotpStatus(TotpState.PENDING, row.secret, totp.otpauth_uri(row.secret, account=user.email, issuer=ISSUER))


async def status(services: Ports, user: StaffUser) -> TotpStatus:
    row = await services.db.read(lambda c: totp_store.totp_of(c, user.id))
    return _status(user, row)


async def begin_setup(services: Ports, user: StaffUser) -> TotpStatus:
    """A new pending secret (a second press replaces the first). Raises InvalidInput when it is already on."""

    def transaction(connection: Connection) -> TotpStatus:
        row = totp_store.totp_of(connection, user.id)
        if row is not None and row.confirmed_at is not None:
            raise InvalidInput("Two-step sign-in is already on. Turn it off first to use a new app.", field="code")
        totp_store.put_pending(connection, user.id, secret=totp.new_secret(), at=services.clock())
        return _status(user, totp_store.totp_of(connection, user.id))

    return await services.db.write(transaction)


async def confirm_setup(services: Ports, user: StaffUser, *, code: str, address: str | None) -> None:
    """Turn it on with a current code from the app. Raises TotpNotEnabled (nothing pending), InvalidTotpCode."""
    now = services.clock()

    def transaction(connection: Connection) -> None:
        row = totp_store.totp_of(connection, user.id)
        if row is None or row.confirmed_at is not None:
            raise TotpNotEnabled("There is no setup to confirm: start it again.", field="code")
        step = totp.matching_step(row.secret, code, now=now, after_step=row.last_step)
        if step is None or not totp_store.use_step(connection, user.id, step=step, confirm_at=now):
            raise InvalidTotpCode(field="code")
        audit_store.append(connection, actor=staff_actor(user, address), action=Action.TOTP_ENABLED, at=now)

    await services.db.write(transaction)


async def turn_off(services: Ports, rules: StaffRules, user: StaffUser, *, code: str, address: str | None) -> None:
    """Turn it off with a current code. A wrong code counts toward the sign-in lockout, so a session left open
    cannot be used to guess codes. Raises TotpNotEnabled, SignInLocked, InvalidTotpCode."""
    now = services.clock()
    actor = staff_actor(user, address)
    await sessions.refuse_if_locked(services, rules, user.email, actor, now)

    def transaction(connection: Connection) -> bool:
        row = totp_store.totp_of(connection, user.id)
        if row is None or row.confirmed_at is None:
            raise TotpNotEnabled(field="code")
        step = totp.matching_step(row.secret, code, now=now, after_step=row.last_step)
        if step is None or not totp_store.use_step(connection, user.id, step=step):
            return False
        totp_store.delete_totp(connection, user.id)
        audit_store.append(connection, actor=actor, action=Action.TOTP_DISABLED, at=now)
        return True

    if not await services.db.write(transaction):
        await sessions.record_failure(services, user.email, actor, now, {"second_factor": "totp", "to": "turn_off"})
        raise InvalidTotpCode(field="code")


def remove_in(connection: Connection, user: StaffUser, *, actor: Actor, services: Ports) -> bool:
    """Remove the account's second factor inside the caller's transaction, audited when there was one on."""
    removed = totp_store.delete_totp(connection, user.id)
    if removed:
        audit_store.append(
            connection, actor=actor, action=Action.TOTP_RESET, at=services.clock(), detail={"email": user.email}
        )
    return removed


async def reset(services: Ports, *, actor: Actor, email: str) -> bool:
    """An admin removes someone's second factor (they lost the phone); their password still works and sign-in
    stops asking for a code. Returns False when it was not on. Raises StaffUserNotFound."""

    def transaction(connection: Connection) -> bool:
        found = user_store.user_by_email(connection, normal_email(email))
        if found is None:
            raise StaffUserNotFound(f"No staff user {email}.", field="email")
        return remove_in(connection, found[0], actor=actor, services=services)

    return await services.db.write(transaction)
