"""Lane statistics, parcels' estimate state (``parcel.eta_*``) and estimate revisions (``parcel_estimate``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from itertools import compress
from operator import attrgetter, ne
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select, update

from ordertrail.domain.estimating.histograms import DayHistogram, HourHistogram
from ordertrail.domain.estimating.lanes import postal_area
from ordertrail.domain.estimating.stats import LaneStats
from ordertrail.storage.sqlite_rows import execute_rows, row_maker
from ordertrail.storage.tables import LEARN_PENDING, WATCHED, lane_stat, order, parcel, parcel_estimate

# -- lane statistics ------------------------------------------------------------------------------------------


def _merge_rows(stats: LaneStats, rows: Sequence[Any]) -> LaneStats:
    for row in rows:
        data = json.loads(row.data)
        stats.ahead[row.key] = {s: DayHistogram(list(c), sum(c)) for s, c in data["ahead"].items()}
        stats.waits[row.key] = {s: HourHistogram(list(c)) for s, c in data["waits"].items()}
        if row.key == "*":
            stats.parcels = row.parcels
    return stats


def load_lane_stats(connection: Connection) -> LaneStats:
    """Everything learned so far."""
    return _merge_rows(LaneStats(), list(connection.execute(select(lane_stat))))


def lane_stats_for_update(connection: Connection, keys: Sequence[str]) -> tuple[LaneStats, dict[str, int]]:
    """The statistics of these lane keys (rows locked until commit on PostgreSQL) and their parcel counts."""
    query = select(lane_stat).where(lane_stat.c.key.in_(list(keys)))
    if connection.dialect.name != "sqlite":
        query = query.with_for_update()
    rows = list(connection.execute(query))
    return _merge_rows(LaneStats(), rows), {row.key: row.parcels for row in rows}


def save_lane_stats(
    connection: Connection, stats: LaneStats, counts: dict[str, int], existing: set[str], *, now: datetime
) -> None:
    """Write back the keys of ``counts`` (``existing``: those that already have a row)."""
    for key, parcels in counts.items():
        data = json.dumps(
            {
                "ahead": {s: h.counts for s, h in stats.ahead.get(key, {}).items()},
                "waits": {s: h.counts for s, h in stats.waits.get(key, {}).items()},
            },
            separators=(",", ":"),
        )
        if key in existing:
            connection.execute(
                update(lane_stat).where(lane_stat.c.key == key).values(data=data, parcels=parcels, updated_at=now)
            )
        else:
            connection.execute(insert(lane_stat).values(key=key, data=data, parcels=parcels, updated_at=now))


# -- a parcel's estimate state (the ``eta_*`` columns of ``parcel``) ------------------------------------------


@dataclass(slots=True)
class EtaRow:
    """A parcel's estimate state (mutable: the estimate update edits it, then it is saved with the parcel)."""

    parcel_id: int
    origin: str | None = None
    origin_at: datetime | None = None
    step: str | None = None
    step_started_at: datetime | None = None
    hubs: int = 0
    earliest: date | None = None
    latest: date | None = None
    likely: date | None = None
    confidence: float | None = None
    basis: str | None = None
    estimated_at: datetime | None = None
    promise: date | None = None
    delayed: bool = False
    delay_reason: str | None = None
    stall_after: datetime | None = None
    stalled_at: datetime | None = None
    learned: bool = False
    country: str = ""  # empty: never estimated (its lane's destination is not known here yet)
    area: str = ""
    watched: bool = False  # on its way with an estimate: the stalled-parcel sweep looks at it
    learn_pending: bool = False  # delivered, not yet in the lane statistics: the learning job takes it


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


def due_watched(
    connection: Connection, *, after_id: int, size: int, now: datetime, overdue_before: date
) -> tuple[list[int], list[int], int | None]:
    """The next ``size`` watched parcels after ``after_id``, tested: (stall deadline passed and not flagged yet,
    window passed before ``overdue_before``, the id to continue after — None at the end).

    The conditions are on columns every scan rewrites, so nothing indexes them: the partial index
    ``ix_parcel_eta_watched`` bounds the chunk, the store tests each of its parcels and returns only the due ones.
    """
    end = connection.execute(
        select(parcel.c.id).where(WATCHED, parcel.c.id > after_id).order_by(parcel.c.id).limit(1).offset(size - 1)
    ).scalar()
    is_stalled, is_due = _due(now, overdue_before)
    query = select(parcel.c.id, is_stalled).where(WATCHED, parcel.c.id > after_id, is_due)
    if end is not None:
        query = query.where(parcel.c.id <= end)
    stalled, overdue = _split(connection.execute(query.order_by(parcel.c.id)))
    return stalled, overdue, None if end is None else int(end)


_MARK_LEARNED = (
    update(parcel)
    .where(parcel.c.id == bindparam("b_id"))
    .values(eta_learned=bindparam("b_learned"), eta_learn_pending=None)
)


def mark_learned(connection: Connection, learned: Mapping[int, bool]) -> None:
    """Parcels taken by the learning job, no longer pending, with whether each is in the lane statistics."""
    rows = [{"b_id": parcel_id, "b_learned": value} for parcel_id, value in learned.items()]
    if rows:
        connection.execute(_MARK_LEARNED, rows)


class PendingDelivery(NamedTuple):
    """A delivered parcel taken by the learning job: whether it is learned already, and its destination."""

    parcel_id: int
    learned: bool
    country: str
    area: str


_PENDING_DELIVERIES = (
    select(
        parcel.c.id,
        parcel.c.eta_learned,
        parcel.c.eta_country,
        parcel.c.eta_area,
        order.c.destination_country,
        order.c.destination_postal_code,
    )
    .join(order, order.c.id == parcel.c.order_id)
    .where(LEARN_PENDING)
    .order_by(parcel.c.id)
    .limit(bindparam("limit"))
    .with_for_update(of=parcel, skip_locked=True)
)


def pending_deliveries(connection: Connection, *, limit: int) -> list[PendingDelivery]:
    """Delivered parcels not yet in the lane statistics (locked; several learners take disjoint parcels)."""
    rows = connection.execute(_PENDING_DELIVERIES, {"limit": limit})
    return [
        PendingDelivery(parcel_id, bool(learned), *destination(country, area, ordered_to, postal_code))
        for parcel_id, learned, country, area, ordered_to, postal_code in rows
    ]


def still_due(
    connection: Connection, parcel_ids: Sequence[int], *, now: datetime, overdue_before: date
) -> tuple[list[int], list[int]]:
    """``due_among_watched`` again for parcels found due, locked for this transaction: a scan may have come since.

    On PostgreSQL several sweepers take disjoint parcels (``SKIP LOCKED``).
    """
    if not parcel_ids:
        return [], []
    is_stalled, is_due = _due(now, overdue_before)
    query = select(parcel.c.id, is_stalled).where(parcel.c.id.in_(list(parcel_ids)), WATCHED, is_due)
    return _split(connection.execute(query.order_by(parcel.c.id).with_for_update(skip_locked=True)))


def _due(now: datetime, overdue_before: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    stalled = (parcel.c.eta_stall_after <= now) & parcel.c.eta_stalled_at.is_(None)
    return stalled, stalled | (parcel.c.eta_latest < overdue_before)


def _split(rows: Iterable[Any]) -> tuple[list[int], list[int]]:
    stalled: list[int] = []
    overdue: list[int] = []
    for parcel_id, is_stalled in rows:
        (stalled if is_stalled else overdue).append(parcel_id)
    return stalled, overdue


# -- revisions ------------------------------------------------------------------------------------------------


class Revision(NamedTuple):
    """One change of a parcel's estimate."""

    parcel_id: int
    earliest: date
    latest: date
    likely: date
    confidence: float
    basis: str
    step: str
    reason: str
    delayed: bool
    created_at: datetime


_ADD_REVISION = insert(parcel_estimate)
_REVISION_COLUMNS = [parcel_estimate.c[name] for name in Revision._fields]
# Column names from the table definition, never from input.
_ADD_REVISION_SQLITE = (
    f"INSERT INTO parcel_estimate ({', '.join(Revision._fields)}) VALUES ({', '.join('?' * len(Revision._fields))})"  # noqa: S608
)
_revision_row = row_maker(_REVISION_COLUMNS)


def add_revisions(connection: Connection, revisions: Sequence[Revision]) -> None:
    if not revisions:
        return
    if connection.dialect.name == "sqlite":  # about a third of scans write one: below Core (sqlite_rows.py)
        execute_rows(connection, _ADD_REVISION_SQLITE, [_revision_row(r) for r in revisions])
    else:
        connection.execute(_ADD_REVISION, [r._asdict() for r in revisions])


def revisions_of(connection: Connection, parcel_id: int) -> list[Revision]:
    """A parcel's estimate history, oldest first."""
    rows = connection.execute(
        select(parcel_estimate).where(parcel_estimate.c.parcel_id == parcel_id).order_by(parcel_estimate.c.id)
    )
    return [
        Revision(
            parcel_id=r.parcel_id,
            earliest=r.earliest,
            latest=r.latest,
            likely=r.likely,
            confidence=r.confidence,
            basis=r.basis,
            step=r.step,
            reason=r.reason,
            delayed=r.delayed,
            created_at=r.created_at,
        )
        for r in rows
    ]


# -- lists for merchants and admins ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlaggedParcel:
    """A parcel in the stalled or delayed list."""

    id: int
    tracking_number: str
    order_number: str
    status: str
    last_event_at: datetime
    eta: EtaRow


def flagged_parcels(
    connection: Connection,
    *,
    merchant_id: int | None,
    stalled: bool | None,
    delayed: bool | None,
    before_id: int | None,
    limit: int,
) -> list[FlaggedParcel]:
    """Parcels by their overlays, newest first (keyset by id)."""
    query = (
        select(
            parcel.c.id,
            parcel.c.tracking_number,
            order.c.order_number,
            parcel.c.status,
            parcel.c.last_event_at,
            *ETA_COLUMNS,
        )
        .join(order, order.c.id == parcel.c.order_id)
        .order_by(parcel.c.id.desc())
        .limit(limit)
    )
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    if stalled is not None:
        query = query.where(parcel.c.eta_stalled_at.is_not(None) if stalled else parcel.c.eta_stalled_at.is_(None))
    if delayed is not None:
        query = query.where(parcel.c.eta_delayed.is_(True) if delayed else parcel.c.eta_delayed.is_not(True))
    if before_id is not None:
        query = query.where(parcel.c.id < before_id)
    return [
        FlaggedParcel(r.id, r.tracking_number, r.order_number, r.status, r.last_event_at, eta_row(r.id, r[5:]))
        for r in connection.execute(query)
    ]
