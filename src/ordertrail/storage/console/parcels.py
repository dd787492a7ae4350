"""The filtered parcel list, keyset-paginated, and the overview's counts.

Which index serves what: a search goes through the tracking number (unique), the order number and the lower-cased
email (migration 0010), each a separate indexed lookup joined by UNION, not one OR the planners cannot split.
The placed-date sort and range walk ``ix_order_placed_at_id`` (or ``ix_order_merchant_id_placed_at_id`` within
merchants); stalled and delayed have partial indexes. Status, reason (of the event that set the status) and the
latest scan's facility are not indexed: they move with scans, and an index entry that moves on every scan costs
ingest more than the list gains (docs/console.md); those filters are checked on the rows the walk visits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Connection, Select, bindparam, func, literal, select, tuple_, union

from ordertrail.domain.console.filters import ListedParcel, ParcelFilter, Position, Sort, instant
from ordertrail.domain.scanning.status import STATUS_BY_VALUE, Status
from ordertrail.storage.console import parcel_counts
from ordertrail.storage.console.tables import HELD, exception_handling
from ordertrail.storage.couriers.tables import COURIER_EARLY, NOT_PICKED_UP, parcel_handover
from ordertrail.storage.orders.scope import parcels_of
from ordertrail.storage.tables import merchant, order, parcel, scan_event
from ordertrail.storage.types import UTCDateTime

# The reason code of the event that set the parcel's current status (exceptions and failed attempts carry one):
# its events are found through the (parcel_id, sequence) key, a handful per parcel.
_CURRENT_REASON = (
    select(scan_event.c.reason)
    .where(
        scan_event.c.parcel_id == parcel.c.id,
        scan_event.c.status == parcel.c.status,
        scan_event.c.occurred_at == parcel.c.status_changed_at,
    )
    .order_by(scan_event.c.sequence.desc())
    .limit(1)
    .correlate(parcel)
    .scalar_subquery()
)

# Whether the parcel's current exception was marked handled: a row for its current status version (the unique key
# of exception_handling, so one indexed probe per parcel the walk visits).
_HANDLED = (
    select(literal(1))
    .where(
        exception_handling.c.parcel_id == parcel.c.id,
        exception_handling.c.status_version == parcel.c.status_version,
        parcel.c.status == Status.EXCEPTION.value,
    )
    .correlate(parcel)
    .exists()
)

# Reconciliation (docs/couriers.md): still dispatched, flagged by the periodic pass, and its courier still silent
# (its first event clears it at once, before the next pass); a courier event dated before the dispatch scan.
_NOT_PICKED_UP = (
    select(literal(1))
    .where(
        parcel_handover.c.parcel_id == parcel.c.id,
        NOT_PICKED_UP,
        parcel.c.status == Status.DISPATCHED.value,
    )
    .correlate(parcel)
    .exists()
)
_COURIER_EARLY = (
    select(literal(1)).where(parcel_handover.c.parcel_id == parcel.c.id, COURIER_EARLY).correlate(parcel).exists()
)

_LIST = select(
    parcel.c.id,
    parcel.c.order_id,
    parcel.c.tracking_number,
    order.c.order_number,
    merchant.c.name,
    parcel.c.status,
    _CURRENT_REASON.label("reason"),
    order.c.customer_name,
    order.c.customer_email,
    order.c.destination_country,
    order.c.placed_at,
    parcel.c.last_event_at,
    parcel.c.eta_delayed,
    parcel.c.eta_stalled_at,
    parcel.c.eta_step,
    parcel.c.eta_stall_after,
    parcel.c.eta_delay_reason,
    parcel.c.eta_promise,
    parcel.c.eta_earliest,
    parcel.c.eta_latest,
    parcel.c.eta_confidence,
).select_from(parcel.join(order, order.c.id == parcel.c.order_id).join(merchant, merchant.c.id == order.c.merchant_id))


def _listed(row: Any) -> ListedParcel:
    return ListedParcel(
        id=row.id,
        order_id=row.order_id,
        tracking_number=row.tracking_number,
        order_number=row.order_number,
        merchant=row.name,
        status=STATUS_BY_VALUE[row.status],
        reason=row.reason,
        customer_name=row.customer_name,
        customer_email=row.customer_email,
        destination_country=row.destination_country,
        placed_at=row.placed_at,
        last_event_at=row.last_event_at,
        delayed=bool(row.eta_delayed),
        stalled_at=row.eta_stalled_at,
        step=row.eta_step,
        stall_after=row.eta_stall_after,
        delay_reason=row.eta_delay_reason,
        promise=row.eta_promise,
        estimate=None
        if row.eta_earliest is None or row.eta_latest is None
        else (row.eta_earliest, row.eta_latest, row.eta_confidence),
    )


def _searched_ids(f: ParcelFilter) -> Any:
    """The ids of parcels the search matches: one indexed lookup per reading of the terms, joined by UNION."""
    search = f.search
    assert search is not None
    by_order = parcel.join(order, order.c.id == parcel.c.order_id)
    parts: list[Select[Any]] = [
        select(parcel.c.id).where(parcel.c.tracking_number.in_([n.upper() for n in search.numbers])),
        select(parcel.c.id).select_from(by_order).where(order.c.order_number.in_(search.numbers)),
    ]
    if search.email is not None:
        parts.append(
            select(parcel.c.id).select_from(by_order).where(func.lower(order.c.customer_email) == search.email)
        )
    if search.name is not None:
        escaped = search.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        parts.append(
            select(parcel.c.id)
            .select_from(by_order)
            .where(func.lower(order.c.customer_name).like(f"%{escaped}%", escape="\\"))
        )
    return union(*parts)


def _filtered(query: Select[Any], f: ParcelFilter) -> Select[Any]:
    if f.merchant_ids is not None:
        query = query.where(order.c.merchant_id.in_(sorted(f.merchant_ids)))
    if f.parcel_ids is not None:
        # Rendered inline (whole numbers only): a figure may count more parcels than a statement takes bound values.
        ids: BindParameter[list[int]] = bindparam(
            "counted_ids", sorted(f.parcel_ids), expanding=True, literal_execute=True
        )
        query = query.where(parcel.c.id.in_(ids))
    if f.statuses:
        query = query.where(parcel.c.status.in_([s.value for s in f.statuses]))
    if f.search is not None:
        query = query.where(parcel.c.id.in_(_searched_ids(f)))
    if f.reason is not None:
        query = query.where(_CURRENT_REASON == literal(f.reason))  # noqa: SIM300 (a subquery's value)
    if f.party is not None:
        query = query.where(_CURRENT_REASON.in_(f.party_reasons))
    if f.country is not None:
        query = query.where(order.c.destination_country == f.country)
    if f.facility is not None:
        latest_here = select(literal(1)).where(
            scan_event.c.parcel_id == parcel.c.id,
            scan_event.c.sequence == parcel.c.last_sequence,
            scan_event.c.facility == f.facility,
        )
        query = query.where(latest_here.exists())
    if f.delayed is not None:
        query = query.where(parcel.c.eta_delayed.is_(True) if f.delayed else parcel.c.eta_delayed.is_not(True))
    if f.stalled is not None:
        query = query.where(parcel.c.eta_stalled_at.is_not(None) if f.stalled else parcel.c.eta_stalled_at.is_(None))
    if f.not_picked_up is not None:
        query = query.where(_NOT_PICKED_UP if f.not_picked_up else ~_NOT_PICKED_UP)
    if f.courier_early is not None:
        query = query.where(_COURIER_EARLY if f.courier_early else ~_COURIER_EARLY)
    if f.handled is not None:
        query = query.where(_HANDLED if f.handled else ~_HANDLED)
    if f.placed_after is not None:
        query = query.where(order.c.placed_at >= f.placed_after)
    if f.placed_before is not None:
        query = query.where(order.c.placed_at < f.placed_before)
    return query


def _ordered(query: Select[Any], sort: Sort, after: Position | None) -> Select[Any]:
    if sort.column == "placed_at":
        columns: list[Any] = [order.c.placed_at, order.c.id, parcel.c.id]
    else:
        columns = [parcel.c.last_event_at, parcel.c.id]
    if after is not None:
        value, *ids = after.key
        bound = (literal(instant(value), UTCDateTime), *ids)
        key, edge = tuple_(*columns), tuple_(*bound)
        query = query.where(key < edge if sort.descending else key > edge)
    return query.order_by(*(c.desc() if sort.descending else c.asc() for c in columns))


def list_parcels(connection: Connection, f: ParcelFilter, *, after: Position | None, limit: int) -> list[ListedParcel]:
    """A page of the filtered list in ``f.sort`` order, after ``after``."""
    if (f.merchant_ids is not None and not f.merchant_ids) or (f.parcel_ids is not None and not f.parcel_ids):
        return []
    query = _ordered(_filtered(_LIST, f), f.sort, after).limit(limit)
    return [_listed(row) for row in connection.execute(query)]


def status_counts(connection: Connection, merchant_ids: frozenset[int] | None) -> dict[str, int]:
    """Parcels by status, and the delayed and stalled ones, within ``merchant_ids`` (None: every merchant)."""
    if merchant_ids is not None and not merchant_ids:
        return {}

    def scoped(query: Select[Any]) -> Select[Any]:
        return query if merchant_ids is None else query.where(parcels_of(merchant_ids))

    counts = parcel_counts.counts(connection, merchant_ids)  # kept by the store's triggers: no parcel is counted
    # Each of the rest from its partial index (few rows), the merchant asked per row (storage/orders/scope.py).
    base = select(func.count()).select_from(parcel)
    counts["delayed"] = connection.execute(scoped(base.where(parcel.c.eta_delayed.is_(True)))).scalar_one()
    counts["stalled"] = connection.execute(scoped(base.where(parcel.c.eta_stalled_at.is_not(None)))).scalar_one()
    # From the handovers so flagged (few, each in a partial index), not by asking every parcel whether it is one.
    handed = select(func.count()).select_from(parcel_handover.join(parcel, parcel.c.id == parcel_handover.c.parcel_id))
    counts["not_picked_up"] = connection.execute(
        scoped(handed.where(NOT_PICKED_UP, parcel.c.status == Status.DISPATCHED.value))
    ).scalar_one()
    counts["courier_early"] = connection.execute(scoped(handed.where(COURIER_EARLY))).scalar_one()
    return counts


def problem_reasons(connection: Connection, merchant_ids: frozenset[int] | None) -> dict[tuple[str, str], int]:
    """Held-up parcels (an exception not yet handled, a failed attempt) by (status, reason), within ``merchant_ids``."""
    if merchant_ids is not None and not merchant_ids:
        return {}
    reason = _CURRENT_REASON.label("reason")
    query = (
        select(parcel.c.status, reason, func.count())
        .where(HELD, ~_HANDLED)  # a handled exception has left the queue
        .group_by(parcel.c.status, reason)
    )
    if merchant_ids is not None:
        query = query.where(parcels_of(merchant_ids))
    return {(status, why or ""): int(n) for status, why, n in connection.execute(query)}
