"""Parcels with their status projection (and estimate state), read with the facts of their order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Update, bindparam, func, insert, select, update

from ordertrail.domain.estimating.state import EtaRow
from ordertrail.storage.database import Database
from ordertrail.storage.estimating.state import ETA_COLUMNS, eta_row
from ordertrail.storage.sqlite_rows import execute_rows, row_maker
from ordertrail.storage.tables import order, parcel
from ordertrail.storage.types import new_id


@dataclass(frozen=True, slots=True)
class ParcelRecord:
    """A parcel with its status projection and the facts about its order a scanner or page needs."""

    id: int
    order_id: int
    tracking_number: str
    position: int
    parcel_count: int
    reference: str | None
    weight_grams: int | None
    status: str
    substatus: str | None
    furthest_rank: int
    last_sequence: int
    status_version: int
    status_changed_at: datetime
    last_event_at: datetime  # the latest occurred_at of any of its events
    merchant_id: int
    order_number: str
    destination_city: str
    destination_region: str | None
    destination_country: str
    promised_delivery_date: date | None
    eta: EtaRow | None = None  # its delivery estimate state (services/estimates.py)


_parcel_count = (
    select(func.count()).where(parcel.c.order_id == order.c.id).correlate(order).scalar_subquery().label("parcel_count")
)


# Columns in ParcelRecord's field order, so a row becomes a record positionally (this runs for every scan).
_PARCEL_QUERY = select(
    parcel.c.id,
    parcel.c.order_id,
    parcel.c.tracking_number,
    parcel.c.position,
    _parcel_count,
    parcel.c.reference,
    parcel.c.weight_grams,
    parcel.c.status,
    parcel.c.substatus,
    parcel.c.furthest_rank,
    parcel.c.last_sequence,
    parcel.c.status_version,
    parcel.c.status_changed_at,
    parcel.c.last_event_at,
    order.c.merchant_id,
    order.c.order_number,
    order.c.destination_city,
    order.c.destination_region,
    order.c.destination_country,
    order.c.promised_delivery_date,
    *ETA_COLUMNS,
).join(order, order.c.id == parcel.c.order_id)


_PARCELS = _PARCEL_QUERY.where(parcel.c.tracking_number.in_(bindparam("numbers", expanding=True)))


# Locked in id order: two transactions locking overlapping sets of parcels then wait, never deadlock.
_PARCELS_LOCKED = _PARCELS.order_by(parcel.c.id).with_for_update(of=parcel)


# The estimate state (eta_* columns) closes every parcel row read here, after ParcelRecord's other fields.
_ETA_AT = len(_PARCEL_QUERY.selected_columns) - len(ETA_COLUMNS)


def _parcel(row: Any) -> ParcelRecord:
    values = (*row[:_ETA_AT], eta_row(row[0], row[_ETA_AT:]))  # positional, in field order: this runs per scan
    return ParcelRecord(*values)


def parcels_by_tracking_number(
    connection: Connection, tracking_numbers: Sequence[str], *, for_update: bool = False
) -> dict[str, ParcelRecord]:
    """Parcels by number; ``for_update`` locks their rows until commit (PostgreSQL; SQLite locks the file)."""
    if not tracking_numbers:
        return {}
    query = _PARCELS_LOCKED if for_update and connection.dialect.name != "sqlite" else _PARCELS
    records = map(_parcel, connection.execute(query, {"numbers": list(tracking_numbers)}))
    return {record.tracking_number: record for record in records}


def parcels_of_orders(connection: Connection, order_ids: Sequence[int]) -> dict[int, list[ParcelRecord]]:
    """Parcels of the given orders, by order id, in position order."""
    found: dict[int, list[ParcelRecord]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return found
    rows = connection.execute(_PARCEL_QUERY.where(parcel.c.order_id.in_(order_ids)).order_by(parcel.c.position))
    for row in rows:
        record = _parcel(row)
        found[record.order_id].append(record)
    return found


def tracking_numbers_in_use(connection: Connection, tracking_numbers: Sequence[str]) -> set[str]:
    rows = connection.execute(select(parcel.c.tracking_number).where(parcel.c.tracking_number.in_(tracking_numbers)))
    return {row.tracking_number for row in rows}


def insert_parcel(
    connection: Connection,
    *,
    order_id: int,
    tracking_number: str,
    position: int,
    reference: str | None,
    weight_grams: int | None,
    at: datetime,
) -> int:
    result = connection.execute(
        insert(parcel).values(
            order_id=order_id,
            tracking_number=tracking_number,
            position=position,
            reference=reference,
            weight_grams=weight_grams,
            status="order_placed",
            substatus=None,
            furthest_rank=0,
            last_sequence=0,
            status_version=0,
            status_changed_at=at,
            last_event_at=at,
            updated_at=at,
        )
    )
    return new_id(result)


@dataclass(frozen=True, slots=True)
class Projection:
    """The new projection of a parcel after its events changed."""

    parcel_id: int
    status: str
    substatus: str | None
    furthest_rank: int
    last_sequence: int
    status_version: int
    status_changed_at: datetime
    last_event_at: datetime
    updated_at: datetime
    # The estimate columns to save with it (one UPDATE of the row): ``changed_values`` of its EtaRow.
    eta: Mapping[str, Any] | None = None


def save_projections(connection: Connection, projections: Sequence[Projection]) -> None:
    """Update the status projection (and changed estimate columns) of several parcels, one round trip per kind."""
    kinds: dict[tuple[str, ...], list[Projection]] = {}
    for p in projections:
        kinds.setdefault(tuple(p.eta) if p.eta else (), []).append(p)
    if connection.dialect.name == "sqlite":  # every scan: below Core (sqlite_rows.py)
        for names, group in kinds.items():
            sql, make = _sqlite_projection(names)
            execute_rows(connection, sql, [make(p) for p in group])
        return
    for names, group in kinds.items():
        params = _projection_params(group)
        if names:
            for values, p in zip(params, group, strict=True):
                assert p.eta is not None
                values.update(p.eta)
        connection.execute(_save_projection(names), params)


_PROJECTION_COLUMNS = (
    "status", "substatus", "furthest_rank", "last_sequence", "status_version", "status_changed_at",
    "last_event_at", "updated_at",
)  # fmt: skip


_SQLITE_PROJECTIONS: dict[tuple[str, ...], tuple[str, Callable[[Projection], tuple[Any, ...]]]] = {}


def _sqlite_projection(names: tuple[str, ...]) -> tuple[str, Callable[[Projection], tuple[Any, ...]]]:
    """The SQLite UPDATE that also sets these estimate columns (``b_eta_*`` names), and its row maker."""
    found = _SQLITE_PROJECTIONS.get(names)
    if found is None:
        if len(_SQLITE_PROJECTIONS) > 512:  # a handful of sets occur in practice; never grow without bound
            _SQLITE_PROJECTIONS.clear()
        columns = [*_PROJECTION_COLUMNS, *(name.removeprefix("b_") for name in names)]
        sql = f"UPDATE parcel SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?"  # noqa: S608 (table's names)
        row = row_maker([parcel.c[c] for c in [*columns, "id"]])

        def make(p: Projection) -> tuple[Any, ...]:
            return row(
                (p.status, p.substatus, p.furthest_rank, p.last_sequence, p.status_version, p.status_changed_at,
                 p.last_event_at, p.updated_at, *(p.eta.values() if p.eta else ()), p.parcel_id)
            )  # fmt: skip

        found = _SQLITE_PROJECTIONS[names] = (sql, make)
    return found


def _projection_params(projections: Sequence[Projection]) -> list[dict[str, Any]]:
    return [
        {
            "b_id": p.parcel_id,
            "b_status": p.status,
            "b_substatus": p.substatus,
            "b_furthest_rank": p.furthest_rank,
            "b_last_sequence": p.last_sequence,
            "b_status_version": p.status_version,
            "b_status_changed_at": p.status_changed_at,
            "b_last_event_at": p.last_event_at,
            "b_updated_at": p.updated_at,
        }
        for p in projections
    ]


_SAVE_PROJECTION = (
    update(parcel)
    .where(parcel.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        substatus=bindparam("b_substatus"),
        furthest_rank=bindparam("b_furthest_rank"),
        last_sequence=bindparam("b_last_sequence"),
        status_version=bindparam("b_status_version"),
        status_changed_at=bindparam("b_status_changed_at", type_=parcel.c.status_changed_at.type),
        last_event_at=bindparam("b_last_event_at", type_=parcel.c.last_event_at.type),
        updated_at=bindparam("b_updated_at", type_=parcel.c.updated_at.type),
    )
)


_ETA_BINDS = {f"b_{c.name}": (c.name, bindparam(f"b_{c.name}", type_=c.type)) for c in ETA_COLUMNS}


_SAVE_PROJECTIONS: dict[tuple[str, ...], Update] = {(): _SAVE_PROJECTION}


def _save_projection(names: tuple[str, ...]) -> Update:
    """The projection UPDATE that also sets these estimate columns (``b_eta_*`` names; built once per set)."""
    found = _SAVE_PROJECTIONS.get(names)
    if found is None:
        if len(_SAVE_PROJECTIONS) > 512:  # a handful of sets occur in practice; never grow without bound
            _SAVE_PROJECTIONS.clear()
            _SAVE_PROJECTIONS[()] = _SAVE_PROJECTION
        found = _SAVE_PROJECTIONS[names] = _SAVE_PROJECTION.values(dict(_ETA_BINDS[n] for n in names))
    return found


# Literal SQL run by ``Database.fetch_one`` below SQLAlchemy's statement layer: it runs on every tracking lookup.
# Changes whenever anything public about the parcel changes: a new event or a new projection.
_PARCEL_VERSION = "SELECT id, last_sequence, status_version, updated_at FROM parcel WHERE tracking_number = ?"


async def parcel_version(db: Database, tracking_number: str) -> tuple[object, ...] | None:
    """A value that changes whenever the parcel's public view may have changed; None for no such parcel."""
    return await db.fetch_one(_PARCEL_VERSION, (tracking_number,))
