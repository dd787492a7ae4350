"""Courier codes in the console: the queue of codes no mapping knew, and merchants' overrides of the shipped
mapping files (``domain/couriers/mapping.py``), which re-derive the parcels they change (``services/couriers/
remapping.py``) in the same transaction as the override and its audit entry.

Who: anyone who reads parcels sees the codes on their merchants' parcels; the people who fix what goes wrong
(the handle permission: operations, merchant users, admins, and merchant and admin keys) set and remove
overrides, each for a merchant they see.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.couriers.handover import COURIER_CODE
from ordertrail.domain.couriers.mapping import StatusMapping, checked_entry
from ordertrail.domain.errors import (
    CourierMappingNotFound,
    FieldProblem,
    Forbidden,
    IdempotencyKeyConflict,
    InvalidInput,
)
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.couriers.events import shipped_registry
from ordertrail.services.couriers.remapping import remap_tx
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.couriers import events as event_store
from ordertrail.storage.couriers import overrides as override_store
from ordertrail.storage.couriers.overrides import Override
from ordertrail.storage.staff import audit as audit_store

MAX_CODE = 64


@dataclass(frozen=True, slots=True)
class UnmappedCodeView:
    """A queue item: a code no mapping knew on one merchant's parcels."""

    merchant: str
    courier: str
    code: str
    events: int
    parcels: int
    last_seen_at: str

    def document(self) -> dict[str, Any]:
        return {
            "merchant": self.merchant,
            "courier": self.courier,
            "code": self.code,
            "events": self.events,
            "parcels": self.parcels,
            "last_seen_at": self.last_seen_at,
        }


@dataclass(frozen=True, slots=True)
class MappingChange:
    """What setting or removing an override did: the code's meaning now, and how many events were re-derived."""

    document: dict[str, Any]
    replayed: bool = False  # a retry under the same Idempotency-Key: the first answer


def _scope(reader: Reader) -> list[int] | None:
    return None if reader.scope is None else sorted(reader.scope)


async def unmapped_codes(services: Services, reader: Reader) -> list[UnmappedCodeView]:
    """The unmapped codes on the parcels the reader sees, most recently seen first."""

    def read(connection: Connection) -> list[UnmappedCodeView]:
        found = event_store.unmapped_codes(connection, _scope(reader))
        names = merchant_store.merchant_names(connection, list({f.merchant_id for f in found}))
        return [
            UnmappedCodeView(names[f.merchant_id], f.courier, f.code, f.events, f.parcels, f.last_seen_at.isoformat())
            for f in found
        ]

    return await services.db.read(read)


async def unmapped_count(services: Services, reader: Reader) -> int:
    """How many (merchant, courier, code) wait for a mapping, among the reader's merchants."""
    return len(await services.db.read(lambda c: event_store.unmapped_codes(c, _scope(reader))))


def override_document(override: Override, merchant: str) -> dict[str, Any]:
    return {
        "merchant": merchant,
        "courier": override.courier,
        "code": override.code,
        "status": override.mapping.status.value,
        "reason": override.mapping.reason,
        "substatus": override.mapping.substatus,
        "updated_at": override.updated_at.isoformat(),
        "updated_by": override.updated_by,
    }


async def list_overrides(services: Services, reader: Reader) -> list[dict[str, Any]]:
    """The overrides of the merchants the reader sees."""

    def read(connection: Connection) -> list[dict[str, Any]]:
        found = override_store.list_overrides(connection, _scope(reader))
        names = merchant_store.merchant_names(connection, list({o.merchant_id for o in found}))
        return [override_document(o, names[o.merchant_id]) for o in found]

    return await services.db.read(read)


def _checked_code(courier: str, code: str) -> None:
    problems: list[FieldProblem] = []
    if not COURIER_CODE.match(courier):
        problems.append(FieldProblem("courier", "must be 2 to 32 lower-case letters, digits, '_' or '-'"))
    if not 0 < len(code) <= MAX_CODE or any(ch.isspace() or ord(ch) < 32 for ch in code):
        problems.append(FieldProblem("code", f"must be 1 to {MAX_CODE} characters, without spaces"))
    if problems:
        raise InvalidInput("That is not a courier code.", problems=problems)


def _merchant(connection: Connection, reader: Reader, name: str | None) -> tuple[int, str]:
    """The merchant an override is for: named, or the reader's only one. Raises InvalidInput (``merchant``), the
    same for an unknown merchant and another's."""
    if name is None:
        if reader.scope is None or len(reader.scope) != 1:
            raise InvalidInput("Name the merchant whose mapping this is.", field="merchant")
        (merchant_id,) = reader.scope
    else:
        found = merchant_store.merchant_id_by_name(connection, name)
        if found is None or not reader.sees(found):
            raise InvalidInput(f"No merchant {name!r} among those you can see.", field="merchant")
        merchant_id = found
    return merchant_id, merchant_store.merchant_names(connection, [merchant_id])[merchant_id]


def _may_change(reader: Reader) -> None:
    if not reader.may(Permission.HANDLE):
        raise Forbidden("Mapping courier codes needs the handle permission (operations, merchant or admin).")


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


async def set_override(
    services: Services,
    reader: Reader,
    *,
    merchant: str | None,
    courier: str,
    code: str,
    status: str,
    reason: str | None,
    substatus: str | None,
    idempotency_key: str | None,
) -> MappingChange:
    """Set the merchant's meaning of a courier code and re-derive the parcels it changes. Raises Forbidden,
    InvalidInput (``merchant``, ``courier``, ``code``, ``status``, ``reason``, ``substatus``: the mapping files'
    rules) and IdempotencyKeyConflict."""
    _may_change(reader)
    _checked_code(courier, code)
    found = checked_entry(status, reason, substatus)
    if isinstance(found, FieldProblem):
        raise InvalidInput("The mapping breaks a rule of the mapping files.", problems=[found])
    mapping: StatusMapping = found
    digest = _digest("set", merchant, courier, code, status, reason, substatus)
    now = services.clock()

    def write(connection: Connection) -> tuple[MappingChange, list[ParcelChange]]:
        replay = _replayed(connection, reader, idempotency_key, digest)
        if replay is not None:
            return replay, []
        merchant_id, name = _merchant(connection, reader, merchant)
        override = Override(merchant_id, courier, code, mapping, now, reader.actor.name)
        override_store.save_override(connection, override)
        count, changes = remap_tx(
            connection,
            merchant_id=merchant_id,
            courier=courier,
            code=code,
            mapping=mapping,
            now=now,
            estimates=services.estimates,
        )
        document = {**override_document(override, name), "source": "override", "rederived": count}
        audit_store.append(
            connection,
            actor=reader.actor,
            action=Action.COURIER_MAPPING_SET,
            at=now,
            merchant_id=merchant_id,
            detail={k: document[k] for k in ("courier", "code", "status", "reason", "substatus", "rederived")},
        )
        _keep(connection, reader, idempotency_key, digest, document, now=now)
        return MappingChange(document), changes

    change, changes = await services.db.write(write)
    await services.committed(changes)
    return change


async def remove_override(
    services: Services, reader: Reader, *, merchant: str | None, courier: str, code: str, idempotency_key: str | None
) -> MappingChange:
    """Remove the merchant's override: the shipped mapping (or none) applies again, and the parcels it changes are
    re-derived. Raises Forbidden, InvalidInput, CourierMappingNotFound and IdempotencyKeyConflict."""
    _may_change(reader)
    _checked_code(courier, code)
    digest = _digest("remove", merchant, courier, code)
    now = services.clock()

    def write(connection: Connection) -> tuple[MappingChange, list[ParcelChange]]:
        replay = _replayed(connection, reader, idempotency_key, digest)
        if replay is not None:
            return replay, []
        merchant_id, name = _merchant(connection, reader, merchant)
        if not override_store.remove_override(connection, merchant_id, courier, code):
            raise CourierMappingNotFound(f"{name} has no override of {courier} code {code!r}.", field="code")
        mapping = shipped_registry().resolve(courier, code)
        count, changes = remap_tx(
            connection,
            merchant_id=merchant_id,
            courier=courier,
            code=code,
            mapping=mapping,
            now=now,
            estimates=services.estimates,
        )
        document = {
            "merchant": name,
            "courier": courier,
            "code": code,
            "status": mapping.status.value,
            "reason": mapping.reason,
            "substatus": mapping.substatus,
            "updated_at": now.isoformat(),
            "updated_by": reader.actor.name,
            "source": "shipped" if mapping.mapped else "unmapped",
            "rederived": count,
        }
        audit_store.append(
            connection,
            actor=reader.actor,
            action=Action.COURIER_MAPPING_REMOVED,
            at=now,
            merchant_id=merchant_id,
            detail={"courier": courier, "code": code, "now": document["source"], "rederived": count},
        )
        _keep(connection, reader, idempotency_key, digest, document, now=now)
        return MappingChange(document), changes

    change, changes = await services.db.write(write)
    await services.committed(changes)
    return change


def _replayed(connection: Connection, reader: Reader, key: str | None, digest: str) -> MappingChange | None:
    if key is None:
        return None
    earlier = override_store.request_by_key(connection, actor=reader.actor, idempotency_key=key)
    if earlier is None:
        return None
    if earlier[0] != digest:
        raise IdempotencyKeyConflict(field="Idempotency-Key")
    return MappingChange(json.loads(earlier[1]), replayed=True)


def _keep(
    connection: Connection, reader: Reader, key: str | None, digest: str, document: dict[str, Any], *, now: Any
) -> None:
    if key is not None:
        override_store.keep_request(
            connection, actor=reader.actor, idempotency_key=key, body_hash=digest, answer=json.dumps(document), at=now
        )
