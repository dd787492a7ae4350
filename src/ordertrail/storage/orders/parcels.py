"""Parcels: rows mapped to and from ``Parcel`` (with its ``ParcelState`` and ``EstimateState``), read with the
facts of their order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.parcel import ParcelState
from ordertrail.domain.scanning.status import STATUS_BY_VALUE
from ordertrail.domain.scanning.stay import Stay
from ordertrail.storage.compiled import Compiled, any_of
from ordertrail.storage.database import Database
from ordertrail.storage.estimating.state import ETA_COLUMNS, changed_values, estimate_state
from ordertrail.storage.tables import order, parcel
from ordertrail.storage.types import new_id

_parcel_count = (
    select(func.count()).where(parcel.c.order_id == order.c.id).correlate(order).scalar_subquery().label("parcel_count")
)
_STATE_COLUMNS = (
    parcel.c.status,
    parcel.c.substatus,
    parcel.c.furthest_rank,
    parcel.c.last_sequence,
    parcel.c.status_version,
    parcel.c.status_changed_at,
    parcel.c.last_event_at,
    parcel.c.stay_facility,
    parcel.c.stay_since,
)
# Columns in Parcel's field order, then its state's, then its estimate's: a row becomes a parcel positionally
# (this runs for every scan).
_PARCEL_QUERY = select(
    parcel.c.id,
    parcel.c.order_id,
    parcel.c.tracking_number,
    parcel.c.position,
    _parcel_count,
    parcel.c.reference,
    parcel.c.weight_grams,
    order.c.merchant_id,
    order.c.order_number,
    order.c.destination_city,
    order.c.destination_region,
    order.c.destination_postal_code,
    order.c.destination_country,
    order.c.promised_delivery_date,
    order.c.placed_at,
    *_STATE_COLUMNS,
    *ETA_COLUMNS,
).join(order, order.c.id == parcel.c.order_id)
_STATE_AT = len(_PARCEL_QUERY.selected_columns) - len(ETA_COLUMNS) - len(_STATE_COLUMNS)
_ETA_AT = _STATE_AT + len(_STATE_COLUMNS)

# Every scan group reads its parcels by number: below Core (compiled.py), one statement for any number of them.
_BY_NUMBER = _PARCEL_QUERY.where(any_of(parcel.c.tracking_number, "numbers"))
_PARCELS = Compiled(_BY_NUMBER)
# Locked in id order: two transactions locking overlapping sets of parcels then wait, never deadlock.
_PARCELS_LOCKED = Compiled(_BY_NUMBER.order_by(parcel.c.id).with_for_update(of=parcel))
_PARCELS_BY_ID = _PARCEL_QUERY.where(parcel.c.id.in_(bindparam("ids", expanding=True)))


def _parcel(row: Any) -> Parcel:
    status, *state, stay_facility, stay_since = row[_STATE_AT:_ETA_AT]
    stay = None if stay_facility is None else Stay(stay_facility, stay_since)
    estimate = estimate_state(row[0], row[_ETA_AT:])
    return Parcel._make((*row[:_STATE_AT], ParcelState._make((STATUS_BY_VALUE[status], *state, stay)), estimate))


def parcels_by_tracking_number(
    connection: Connection, tracking_numbers: Sequence[str], *, for_update: bool = False
) -> dict[str, Parcel]:
    """Parcels by number; ``for_update`` locks their rows until commit (PostgreSQL; SQLite locks the file)."""
    if not tracking_numbers:
        return {}
    query = _PARCELS_LOCKED if for_update else _PARCELS  # SQLite renders no FOR UPDATE: its writer holds the file
    found = map(_parcel, query.fetch_all(connection, {"numbers": list(tracking_numbers)}))
    return {p.tracking_number: p for p in found}


def parcels_by_id(connection: Connection, parcel_ids: Sequence[int]) -> dict[int, Parcel]:
    """Parcels by id."""
    if not parcel_ids:
        return {}
    return {p.id: p for p in map(_parcel, connection.execute(_PARCELS_BY_ID, {"ids": list(parcel_ids)}))}


def parcels_of_orders(connection: Connection, order_ids: Sequence[int]) -> dict[int, list[Parcel]]:
    """Parcels of the given orders, by order id, in position order."""
    found: dict[int, list[Parcel]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return found
    rows = connection.execute(_PARCEL_QUERY.where(parcel.c.order_id.in_(order_ids)).order_by(parcel.c.position))
    for row in rows:
        made = _parcel(row)
        found[made.order_id].append(made)
    return found


def flagged_parcels(
    connection: Connection,
    *,
    merchant_id: int | None,
    stalled: bool | None,
    delayed: bool | None,
    before_id: int | None,
    limit: int,
) -> list[Parcel]:
    """Parcels by their estimate overlays, newest first (keyset by id)."""
    query = _PARCEL_QUERY.order_by(parcel.c.id.desc()).limit(limit)
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    if stalled is not None:
        query = query.where(parcel.c.eta_stalled_at.is_not(None) if stalled else parcel.c.eta_stalled_at.is_(None))
    if delayed is not None:
        query = query.where(parcel.c.eta_delayed.is_(True) if delayed else parcel.c.eta_delayed.is_not(True))
    if before_id is not None:
        query = query.where(parcel.c.id < before_id)
    return [_parcel(row) for row in connection.execute(query)]


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
    state: ParcelState,
    at: datetime,
) -> int:
    """A new parcel row in ``state`` (``ParcelState.unborn``: before its first event); returns its id."""
    result = connection.execute(
        insert(parcel).values(
            order_id=order_id,
            tracking_number=tracking_number,
            position=position,
            reference=reference,
            weight_grams=weight_grams,
            status=state.status.value,
            substatus=state.substatus,
            furthest_rank=state.furthest_rank,
            last_sequence=state.last_sequence,
            status_version=state.status_version,
            status_changed_at=state.status_changed_at,
            last_event_at=state.last_event_at,
            updated_at=at,
        )
    )
    return new_id(result)


class SavedState(NamedTuple):
    """A parcel's state to save, and its estimate state with its values as read (None: write all of them)."""

    parcel_id: int
    state: ParcelState
    estimate: EstimateState | None = None
    estimate_as_read: tuple[Any, ...] | None = None


class _Update(NamedTuple):
    saved: SavedState
    eta: dict[str, Any]  # the estimate columns that changed, by bind name


def save_states(connection: Connection, saved: Sequence[SavedState], *, now: datetime) -> None:
    """Update parcels' status projection and the estimate columns that changed, one round trip per column set."""
    kinds: dict[tuple[str, ...], list[_Update]] = {}
    for item in saved:
        eta = {} if item.estimate is None else changed_values(item.estimate, item.estimate_as_read)
        kinds.setdefault(tuple(eta), []).append(_Update(item, eta))
    for names, group in kinds.items():
        _update(names).execute_many(connection, [{**_state_params(u.saved, now), **u.eta} for u in group])


def _state_params(saved: SavedState, now: datetime) -> dict[str, Any]:
    s = saved.state
    return {
        "b_id": saved.parcel_id,
        "b_status": s.status.value,
        "b_substatus": s.substatus,
        "b_furthest_rank": s.furthest_rank,
        "b_last_sequence": s.last_sequence,
        "b_status_version": s.status_version,
        "b_status_changed_at": s.status_changed_at,
        "b_last_event_at": s.last_event_at,
        "b_stay_facility": None if s.stay is None else s.stay.facility,
        "b_stay_since": None if s.stay is None else s.stay.since,
        "b_updated_at": now,
    }


_SAVE_STATE = (
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
        stay_facility=bindparam("b_stay_facility"),
        stay_since=bindparam("b_stay_since", type_=parcel.c.stay_since.type),
        updated_at=bindparam("b_updated_at", type_=parcel.c.updated_at.type),
    )
)
_ETA_BINDS = {f"b_{c.name}": (c.name, bindparam(f"b_{c.name}", type_=c.type)) for c in ETA_COLUMNS}
_UPDATES: dict[tuple[str, ...], Compiled] = {}


def _update(names: tuple[str, ...]) -> Compiled:
    """The state UPDATE that also sets these estimate columns (``b_eta_*`` names; built once per set), run below
    Core (compiled.py): every scan saves its parcel."""
    found = _UPDATES.get(names)
    if found is None:
        if len(_UPDATES) > 512:  # a handful of sets occur in practice; never grow without bound
            _UPDATES.clear()
        found = _UPDATES[names] = Compiled(_SAVE_STATE.values(dict(_ETA_BINDS[n] for n in names)))
    return found


# Literal SQL run by ``Database.fetch_one`` below SQLAlchemy's statement layer: it runs on every tracking lookup.
# Changes whenever anything public about the parcel changes: a new event or a new state.
_PARCEL_VERSION = "SELECT id, last_sequence, status_version, updated_at FROM parcel WHERE tracking_number = ?"


async def parcel_version(db: Database, tracking_number: str) -> tuple[object, ...] | None:
    """A value that changes whenever the parcel's public view may have changed; None for no such parcel."""
    return await db.fetch_one(_PARCEL_VERSION, (tracking_number,))


def touch_parcel(connection: Connection, parcel_id: int, *, now: datetime) -> None:
    """Mark the parcel changed without a new event (its handover): ``parcel_version`` moves, caches refresh."""
    connection.execute(update(parcel).where(parcel.c.id == parcel_id).values(updated_at=now))
