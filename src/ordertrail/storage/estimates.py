"""Lane statistics, parcels' estimate state (``parcel_eta``) and estimate revisions (``parcel_estimate``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ordertrail.domain.eta.histograms import DayHistogram, HourHistogram
from ordertrail.domain.eta.lanes import postal_area
from ordertrail.domain.eta.stats import LaneStats
from ordertrail.storage.tables import lane_stat, order, parcel, parcel_estimate, parcel_eta

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


# -- a parcel's estimate state --------------------------------------------------------------------------------


@dataclass(slots=True)
class EtaRow:
    """One ``parcel_eta`` row (mutable: the estimate update edits it, then saves it)."""

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
    country: str = ""
    area: str = ""


@dataclass(frozen=True, slots=True)
class EtaContext:
    """What estimating a parcel needs besides its events: who it belongs to, its lane, promise and stored state."""

    parcel_id: int
    order_id: int
    merchant_id: int
    tracking_number: str
    country: str
    area: str
    promised_delivery_date: date | None
    row: EtaRow | None


_ETA_COLUMNS = list(parcel_eta.c)
_ROWS = select(parcel_eta).where(parcel_eta.c.parcel_id.in_(bindparam("ids", expanding=True)))
_OWNERS = (
    select(
        parcel.c.id,
        parcel.c.order_id,
        parcel.c.tracking_number,
        order.c.merchant_id,
        order.c.destination_country,
        order.c.destination_postal_code,
        order.c.promised_delivery_date,
    )
    .join(order, order.c.id == parcel.c.order_id)
    .where(parcel.c.id.in_(bindparam("ids", expanding=True)))
)


def eta_contexts(
    connection: Connection, parcel_ids: Sequence[int], known: Mapping[int, tuple[int, int, str]] | None = None
) -> dict[int, EtaContext]:
    """Contexts by parcel id. ``known`` (parcel id -> order id, merchant id, tracking number) saves the join
    for parcels that already have an estimate state: a scan then reads one row per parcel by primary key."""
    if not parcel_ids:
        return {}
    known = known or {}
    rows = {r[0]: EtaRow(*r) for r in connection.execute(_ROWS, {"ids": list(parcel_ids)})}
    owners = [pid for pid in parcel_ids if pid not in known or pid not in rows or rows[pid].promise is None]
    joined = {r.id: r for r in connection.execute(_OWNERS, {"ids": owners})} if owners else {}
    contexts: dict[int, EtaContext] = {}
    for pid in parcel_ids:
        row, owner = rows.get(pid), joined.get(pid)
        if owner is not None:
            country = owner.destination_country.upper()
            area = postal_area(country, owner.destination_postal_code)
            contexts[pid] = EtaContext(
                pid, owner.order_id, owner.merchant_id, owner.tracking_number, country, area,
                owner.promised_delivery_date, row,
            )  # fmt: skip
        elif row is not None:
            order_id, merchant_id, number = known[pid]
            contexts[pid] = EtaContext(pid, order_id, merchant_id, number, row.country, row.area, None, row)
    return contexts


def eta_of(connection: Connection, parcel_id: int) -> EtaRow | None:
    row = connection.execute(select(parcel_eta).where(parcel_eta.c.parcel_id == parcel_id)).one_or_none()
    return None if row is None else EtaRow(*row)


_UPDATE_ETA = (
    update(parcel_eta)
    .where(parcel_eta.c.parcel_id == bindparam("b_parcel_id"))
    .values({c.name: bindparam(f"b_{c.name}", type_=c.type) for c in _ETA_COLUMNS if c.name != "parcel_id"})
)


_ROW_FIELDS = tuple(f.name for f in fields(EtaRow))
_BOUND_FIELDS = tuple((f"b_{name}", name) for name in _ROW_FIELDS)

# Where the parcel is on its lane: what every scan changes. The estimate columns change only with a revision.
_PLACE = ("origin", "origin_at", "step", "step_started_at", "hubs", "stall_after", "stalled_at")
_UPDATE_PLACE = (
    update(parcel_eta)
    .where(parcel_eta.c.parcel_id == bindparam("b_parcel_id"))
    .values({name: bindparam(f"b_{name}", type_=parcel_eta.c[name].type) for name in _PLACE})
)
_BOUND_PLACE = tuple((f"b_{name}", name) for name in ("parcel_id", *_PLACE))


def save_eta_rows(
    connection: Connection, new: Sequence[EtaRow], changed: Sequence[EtaRow], moved: Sequence[EtaRow] = ()
) -> None:
    """Insert ``new`` rows, update ``changed`` ones whole and ``moved`` ones' place only; one round trip each."""
    if moved:
        connection.execute(_UPDATE_PLACE, [{b: getattr(r, n) for b, n in _BOUND_PLACE} for r in moved])
    # Plain attribute reads: dataclasses.asdict deep-copies every value and cost more than the estimate itself.
    if new:
        connection.execute(insert(parcel_eta), [{n: getattr(r, n) for n in _ROW_FIELDS} for r in new])
    if changed:
        connection.execute(_UPDATE_ETA, [{b: getattr(r, n) for b, n in _BOUND_FIELDS} for r in changed])


def touch_parcels(connection: Connection, parcel_ids: Sequence[int], *, now: datetime) -> None:
    """Bump ``parcel.updated_at``: cached public documents of these parcels are stale."""
    if parcel_ids:
        connection.execute(update(parcel).where(parcel.c.id.in_(list(parcel_ids))).values(updated_at=now))


def delayed_per_order(connection: Connection, order_ids: Sequence[int]) -> dict[int, int]:
    """How many parcels of each order carry the delay overlay."""
    if not order_ids:
        return {}
    rows = connection.execute(
        select(parcel.c.order_id, func.count())
        .select_from(parcel.join(parcel_eta))
        .where(parcel.c.order_id.in_(list(order_ids)), parcel_eta.c.delayed.is_(True))
        .group_by(parcel.c.order_id)
    )
    return {order_id: count for order_id, count in rows}


def due_stalls(connection: Connection, *, now: datetime, limit: int) -> list[int]:
    """Parcels whose stall deadline passed and that are not flagged yet."""
    rows = connection.execute(
        select(parcel_eta.c.parcel_id)
        .where(parcel_eta.c.stall_after <= now, parcel_eta.c.stalled_at.is_(None))
        .order_by(parcel_eta.c.stall_after)
        .limit(limit)
        .with_for_update(skip_locked=True)  # several sweepers (PostgreSQL) take disjoint parcels
    )
    return [r.parcel_id for r in rows]


def overdue(connection: Connection, *, before: date, limit: int) -> list[int]:
    """Parcels still on their way whose estimate's latest date is before ``before``."""
    rows = connection.execute(
        select(parcel_eta.c.parcel_id)
        .where(parcel_eta.c.latest < before, parcel_eta.c.stall_after.is_not(None))
        .order_by(parcel_eta.c.latest)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [r.parcel_id for r in rows]


# -- revisions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Revision:
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


def add_revisions(connection: Connection, revisions: Sequence[Revision]) -> None:
    if revisions:
        names = [f.name for f in fields(Revision)]
        connection.execute(insert(parcel_estimate), [{n: getattr(r, n) for n in names} for r in revisions])


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
            *_ETA_COLUMNS,
        )
        .select_from(parcel.join(order, order.c.id == parcel.c.order_id).join(parcel_eta))
        .order_by(parcel.c.id.desc())
        .limit(limit)
    )
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    if stalled is not None:
        query = query.where(parcel_eta.c.stalled_at.is_not(None) if stalled else parcel_eta.c.stalled_at.is_(None))
    if delayed is not None:
        query = query.where(parcel_eta.c.delayed.is_(delayed))
    if before_id is not None:
        query = query.where(parcel.c.id < before_id)
    found = []
    for r in connection.execute(query):
        eta = EtaRow(**{c.name: getattr(r, c.name) for c in _ETA_COLUMNS})
        found.append(FlaggedParcel(r.id, r.tracking_number, r.order_number, r.status, r.last_event_at, eta))
    return found
