"""Parcels' estimate state: the ``eta_*`` columns of ``parcel``, mapped to and from ``EstimateState``.

The state lives on the parcel row, which every scan already rewrites: it is read by the query that reads the
parcel and written by the UPDATE that saves the parcel's status projection (``parcels.save_states``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import compress
from operator import ne
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from ordertrail.domain.estimating.state import FIELDS, EstimateState
from ordertrail.storage.tables import parcel

ETA_COLUMNS = tuple(parcel.c[f"eta_{name}"] for name in FIELDS)
_BIND_NAMES = tuple(f"b_eta_{name}" for name in FIELDS)


def estimate_state(parcel_id: int, values: Sequence[Any]) -> EstimateState:
    """The state from the ``eta_*`` column values in ``ETA_COLUMNS`` order (NULLs of older parcels mapped)."""
    (origin, origin_at, step, started, hubs, earliest, latest, likely, confidence, basis, estimated_at, promise,
     delayed, delay_reason, stall, stalled_at, learned, country, area, watched, learn_pending, courier,
     service_level) = values  # fmt: skip
    return EstimateState(
        parcel_id, origin, origin_at, step, started, hubs or 0, earliest, latest, likely, confidence, basis,
        estimated_at, promise, bool(delayed), delay_reason, stall, stalled_at, bool(learned), country or "",
        area or "", bool(watched), bool(learn_pending), courier, service_level,
    )  # fmt: skip


def changed_values(state: EstimateState, before: tuple[Any, ...] | None) -> dict[str, Any]:
    """The columns whose value differs from ``before`` (``state.values()`` as read; None: all of them), as
    ``{"b_eta_" + column: value}``, to save only those.

    A scan changes a few of the twenty columns: binding the others (five are timestamps, converted in Python)
    cost about as much as the estimate itself. (The comparison runs in C: this is on every scan.)
    """
    after = state.values()
    if before is None:
        return dict(zip(_BIND_NAMES, after, strict=True))
    return dict(compress(zip(_BIND_NAMES, after, strict=True), map(ne, before, after)))


_SAVE_ESTIMATES = (
    update(parcel)
    .where(parcel.c.id == bindparam("b_id"))
    .values({c.name: bindparam(f"b_{c.name}", type_=c.type) for c in ETA_COLUMNS})
    .values(updated_at=bindparam("b_updated_at", type_=parcel.c.updated_at.type))
)


def save_estimates(connection: Connection, states: Sequence[EstimateState], *, now: datetime) -> None:
    """Write parcels' whole estimate state and bump ``updated_at`` (cached pages are stale), one round trip."""
    if states:
        connection.execute(
            _SAVE_ESTIMATES,
            [{"b_id": s.parcel_id, "b_updated_at": now, **changed_values(s, None)} for s in states],
        )


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
