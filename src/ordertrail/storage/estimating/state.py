"""Lane statistics, parcels' estimate state (``parcel.eta_*``) and estimate revisions (``parcel_estimate``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime
from itertools import compress
from operator import attrgetter, ne
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, select, update

from ordertrail.domain.estimating.lanes import postal_area
from ordertrail.domain.estimating.state import EtaRow
from ordertrail.storage.tables import order, parcel

_ROW_FIELDS = tuple(f.name for f in fields(EtaRow))[1:]  # without parcel_id
ETA_COLUMNS = tuple(parcel.c[f"eta_{name}"] for name in _ROW_FIELDS)


def eta_row(parcel_id: int, values: Sequence[Any]) -> EtaRow:
    """An EtaRow from the ``eta_*`` column values in ``ETA_COLUMNS`` order (NULLs of older parcels mapped)."""
    (origin, origin_at, step, started, hubs, earliest, latest, likely, confidence, basis, estimated_at, promise,
     delayed, delay_reason, stall, stalled_at, learned, country, area, watched, learn_pending) = values  # fmt: skip
    return EtaRow(
        parcel_id, origin, origin_at, step, started, hubs or 0, earliest, latest, likely, confidence, basis,
        estimated_at, promise, bool(delayed), delay_reason, stall, stalled_at, bool(learned), country or "",
        area or "", bool(watched), bool(learn_pending),
    )  # fmt: skip


def eta_values(row: EtaRow, prefix: str = "eta_") -> dict[str, Any]:
    """The row as ``{prefix + column: value}`` (for an UPDATE of the parcel)."""
    return {prefix + name: getattr(row, name) for name in _ROW_FIELDS}


eta_state = attrgetter(*_ROW_FIELDS)  # the row's values in ``ETA_COLUMNS`` order, as a tuple (cheap to compare)


_BIND_NAMES = tuple(f"b_eta_{name}" for name in _ROW_FIELDS)


def changed_values(row: EtaRow, before: tuple[Any, ...]) -> dict[str, Any]:
    """The columns whose value differs from ``before`` (``eta_state`` of the row as read), to save only those,
    as ``{"b_eta_" + column: value}``.

    A scan changes a few of the twenty columns: binding the others (five are timestamps, converted in Python)
    cost about as much as the estimate itself. (The comparison runs in C: this is on every scan.)
    """
    after = eta_state(row)
    return dict(compress(zip(_BIND_NAMES, after, strict=True), map(ne, before, after)))


class EtaContext(NamedTuple):
    """What estimating a parcel needs besides its events: who it belongs to, its lane, promise and stored state.

    (Named tuples here and for revisions: made for every scan, and four times cheaper than frozen dataclasses.)
    """

    parcel_id: int
    order_id: int
    merchant_id: int
    tracking_number: str
    country: str
    area: str
    promised_delivery_date: date | None
    row: EtaRow


_CONTEXTS = (
    select(
        parcel.c.id,
        parcel.c.order_id,
        parcel.c.tracking_number,
        order.c.merchant_id,
        order.c.destination_country,
        order.c.destination_postal_code,
        order.c.promised_delivery_date,
        *ETA_COLUMNS,
    )
    .join(order, order.c.id == parcel.c.order_id)
    .where(parcel.c.id.in_(bindparam("ids", expanding=True)))
)


def context_of(
    parcel_id: int,
    order_id: int,
    merchant_id: int,
    tracking_number: str,
    row: EtaRow,
    *,
    country: str,
    postal_code: str | None,
    promised: date | None,
) -> EtaContext:
    lane_country, area = destination(row.country, row.area, country, postal_code)
    return EtaContext(parcel_id, order_id, merchant_id, tracking_number, lane_country, area, promised, row)


def destination(
    saved_country: str | None, saved_area: str | None, country: str, postal_code: str | None
) -> tuple[str, str]:
    """The destination part of a parcel's lane (country, area): as saved with its estimate state, else from
    its order's address."""
    if saved_country:
        return saved_country, saved_area or ""
    return country.upper(), postal_area(country, postal_code)


def eta_contexts(connection: Connection, parcel_ids: Sequence[int]) -> dict[int, EtaContext]:
    """Contexts by parcel id, read with their orders (order placement and the stalled sweep; scans use records)."""
    if not parcel_ids:
        return {}
    found: dict[int, EtaContext] = {}
    for r in connection.execute(_CONTEXTS, {"ids": list(parcel_ids)}):
        found[r.id] = context_of(
            r.id, r.order_id, r.merchant_id, r.tracking_number, eta_row(r.id, r[7:]),
            country=r.destination_country, postal_code=r.destination_postal_code, promised=r.promised_delivery_date,
        )  # fmt: skip
    return found


def postal_codes(connection: Connection, parcel_ids: Sequence[int]) -> dict[int, str]:
    """The destination postal codes of parcels (for the first estimate of a parcel found by a scan)."""
    if not parcel_ids:
        return {}
    rows = connection.execute(
        select(parcel.c.id, order.c.destination_postal_code)
        .join(order, order.c.id == parcel.c.order_id)
        .where(parcel.c.id.in_(list(parcel_ids)))
    )
    return {r.id: r.destination_postal_code for r in rows}


_SAVE_ETA = (
    update(parcel)
    .where(parcel.c.id == bindparam("b_id"))
    .values({c.name: bindparam(f"b_{c.name}", type_=c.type) for c in ETA_COLUMNS})
)


def save_eta_rows(connection: Connection, rows: Sequence[EtaRow], *, now: datetime | None = None) -> None:
    """Write parcels' estimate state (one round trip); with ``now``, also bump ``updated_at`` (cached pages)."""
    if not rows:
        return
    statement = _SAVE_ETA if now is None else _SAVE_ETA.values(updated_at=now)
    connection.execute(statement, [{"b_id": r.parcel_id, **eta_values(r, "b_eta_")} for r in rows])


def delayed_per_order(connection: Connection, order_ids: Sequence[int]) -> dict[int, int]:
    """How many parcels of each order carry the delay overlay."""
    if not order_ids:
        return {}
    rows = connection.execute(
        select(parcel.c.order_id, func.count())
        .where(parcel.c.order_id.in_(list(order_ids)), parcel.c.eta_delayed.is_(True))
        .group_by(parcel.c.order_id)
    )
    return {order_id: count for order_id, count in rows}
