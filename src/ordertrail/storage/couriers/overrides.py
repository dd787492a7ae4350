"""Merchants' overrides of the shipped status mappings, and the requests that changed them under an
Idempotency-Key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.couriers.mapping import StatusMapping
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import Actor
from ordertrail.storage.couriers.tables import courier_mapping_override, courier_mapping_request


@dataclass(frozen=True, slots=True)
class Override:
    """One merchant's meaning of one courier code."""

    merchant_id: int
    courier: str
    code: str
    mapping: StatusMapping
    updated_at: datetime
    updated_by: str


def _override(row: object) -> Override:
    return Override(
        merchant_id=row.merchant_id,  # type: ignore[attr-defined]
        courier=row.courier,  # type: ignore[attr-defined]
        code=row.code,  # type: ignore[attr-defined]
        mapping=StatusMapping(Status(row.status), row.reason, row.substatus),  # type: ignore[attr-defined]
        updated_at=row.updated_at,  # type: ignore[attr-defined]
        updated_by=row.updated_by,  # type: ignore[attr-defined]
    )


def overrides_of(
    connection: Connection, merchant_ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], StatusMapping]]:
    """merchant id -> (courier, code) -> its override, for the merchants named."""
    if not merchant_ids:
        return {}
    rows = connection.execute(
        select(courier_mapping_override).where(courier_mapping_override.c.merchant_id.in_(list(set(merchant_ids))))
    )
    found: dict[int, dict[tuple[str, str], StatusMapping]] = {}
    for row in rows:
        override = _override(row)
        found.setdefault(override.merchant_id, {})[(override.courier, override.code)] = override.mapping
    return found


def list_overrides(connection: Connection, merchant_ids: Sequence[int] | None) -> list[Override]:
    """The overrides of the merchants named (None: every merchant), by merchant, courier and code."""
    query = select(courier_mapping_override).order_by(
        courier_mapping_override.c.merchant_id, courier_mapping_override.c.courier, courier_mapping_override.c.code
    )
    if merchant_ids is not None:
        query = query.where(courier_mapping_override.c.merchant_id.in_(list(merchant_ids)))
    return [_override(row) for row in connection.execute(query)]


def _one(merchant_id: int, courier: str, code: str) -> ColumnElement[bool]:
    columns = courier_mapping_override.c
    return and_(columns.merchant_id == merchant_id, columns.courier == courier, columns.code == code)


def override_of(connection: Connection, merchant_id: int, courier: str, code: str) -> Override | None:
    row = connection.execute(select(courier_mapping_override).where(_one(merchant_id, courier, code))).first()
    return None if row is None else _override(row)


def save_override(connection: Connection, override: Override) -> None:
    """Set (or replace) a merchant's override of one code."""
    remove_override(connection, override.merchant_id, override.courier, override.code)
    connection.execute(
        insert(courier_mapping_override).values(
            merchant_id=override.merchant_id,
            courier=override.courier,
            code=override.code,
            status=override.mapping.status.value,
            reason=override.mapping.reason,
            substatus=override.mapping.substatus,
            updated_at=override.updated_at,
            updated_by=override.updated_by,
        )
    )


def remove_override(connection: Connection, merchant_id: int, courier: str, code: str) -> bool:
    """Remove an override; whether there was one."""
    return connection.execute(delete(courier_mapping_override).where(_one(merchant_id, courier, code))).rowcount > 0


def request_by_key(connection: Connection, *, actor: Actor, idempotency_key: str) -> tuple[str, str] | None:
    """(body hash, answer) of the actor's earlier request under ``idempotency_key``."""
    row = connection.execute(
        select(courier_mapping_request.c.body_hash, courier_mapping_request.c.answer).where(
            courier_mapping_request.c.actor_kind == actor.kind.value,
            courier_mapping_request.c.actor_id == actor.id,
            courier_mapping_request.c.idempotency_key == idempotency_key,
        )
    ).first()
    return None if row is None else (row.body_hash, row.answer)


def keep_request(
    connection: Connection, *, actor: Actor, idempotency_key: str, body_hash: str, answer: str, at: datetime
) -> bool:
    """Remember a request's answer under its key; False when a concurrent retry kept it first."""
    try:
        with connection.begin_nested():
            connection.execute(
                insert(courier_mapping_request).values(
                    actor_kind=actor.kind.value,
                    actor_id=actor.id,
                    idempotency_key=idempotency_key,
                    body_hash=body_hash,
                    answer=answer,
                    at=at,
                )
            )
    except IntegrityError:
        return False
    return True
