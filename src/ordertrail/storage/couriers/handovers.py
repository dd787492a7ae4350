"""Parcels' handovers to couriers: one per parcel, found by parcel or by (courier, courier's number); and their
reconciliation marks (picked up, not picked up, a courier event before dispatch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    ScalarSelect,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.scanning.status import Status
from ordertrail.storage.compiled import any_of
from ordertrail.storage.couriers.tables import courier_event, parcel_handover
from ordertrail.storage.tables import order, parcel, scan_event


def _handover(row: Any) -> Handover:
    return Handover(
        courier=row.courier,
        tracking_number=row.tracking_number,
        service_level=row.service_level,
        tracking_url=row.tracking_url,
        handed_over_at=row.handed_over_at,
        courier_name=row.courier_name,
        recognised=row.recognised,
    )


def save_handover(connection: Connection, parcel_id: int, handover: Handover) -> None:
    """Record (or replace) the parcel's handover. The same courier and number again only updates the details:
    it keeps its first time and its reconciliation marks (a resent handover is not a new one)."""
    same = connection.execute(
        update(parcel_handover)
        .where(
            parcel_handover.c.parcel_id == parcel_id,
            parcel_handover.c.courier == handover.courier,
            parcel_handover.c.tracking_number == handover.tracking_number,
        )
        .values(
            service_level=handover.service_level,
            tracking_url=handover.tracking_url,
            courier_name=handover.courier_name,
            recognised=handover.recognised,
        )
    )
    if same.rowcount:
        return
    connection.execute(delete(parcel_handover).where(parcel_handover.c.parcel_id == parcel_id))
    connection.execute(
        insert(parcel_handover).values(
            parcel_id=parcel_id,
            courier=handover.courier,
            tracking_number=handover.tracking_number,
            service_level=handover.service_level,
            tracking_url=handover.tracking_url,
            courier_name=handover.courier_name,
            recognised=handover.recognised,
            handed_over_at=handover.handed_over_at,
        )
    )


def handover_of(connection: Connection, parcel_id: int) -> Handover | None:
    """The parcel's current handover, if it has one."""
    row = connection.execute(select(parcel_handover).where(parcel_handover.c.parcel_id == parcel_id)).first()
    return None if row is None else _handover(row)


def parcels_by_courier_number(connection: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(courier, courier's number) -> the id of the parcel handed over under it."""
    if not keys:
        return {}
    columns = tuple_(parcel_handover.c.courier, parcel_handover.c.tracking_number)
    rows = connection.execute(
        select(parcel_handover.c.courier, parcel_handover.c.tracking_number, parcel_handover.c.parcel_id).where(
            columns.in_(list(set(keys)))
        )
    )
    return {(r.courier, r.tracking_number): r.parcel_id for r in rows}


class HandedParcel(NamedTuple):
    """What a courier's event needs of the parcel handed over under its number."""

    id: int
    tracking_number: str  # ordertrail's
    merchant_id: int


def handed_parcels(connection: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HandedParcel]:
    """(courier, courier's number) -> the parcel handed over under it, in one query (no parcel's state is read:
    the scan's transaction reads that once)."""
    if not keys:
        return {}
    columns = tuple_(parcel_handover.c.courier, parcel_handover.c.tracking_number)
    rows = connection.execute(
        select(
            parcel_handover.c.courier,
            parcel_handover.c.tracking_number.label("courier_number"),
            parcel.c.id,
            parcel.c.tracking_number,
            order.c.merchant_id,
        )
        .select_from(
            parcel_handover.join(parcel, parcel.c.id == parcel_handover.c.parcel_id).join(
                order, order.c.id == parcel.c.order_id
            )
        )
        .where(columns.in_(list(set(keys))))
    )
    return {(r.courier, r.courier_number): HandedParcel(r.id, r.tracking_number, r.merchant_id) for r in rows}


# -- reconciliation (migration 0019) ------------------------------------------------------------------------------

# The parcel's dispatch time, wherever reconciliation needs it: its first dispatch scan (the console's timeline
# marks courier events against the same, services/console/detail.py).
_DISPATCH_SCAN = scan_event.c.status == Status.DISPATCHED.value


def _first_dispatch(parcel_id: ColumnElement[int]) -> ScalarSelect[datetime]:
    return (
        select(func.min(scan_event.c.occurred_at))
        .where(scan_event.c.parcel_id == parcel_id, _DISPATCH_SCAN)
        .scalar_subquery()
    )


@dataclass(frozen=True, slots=True)
class AwaitingPickup:
    """A dispatched parcel whose courier has sent nothing yet, and was not flagged yet."""

    parcel_id: int
    handed_over_at: datetime
    dispatched_at: datetime | None  # None: its status says dispatched, but no dispatch scan (a correction)


def awaiting_pickup(connection: Connection, *, after_id: int, size: int) -> list[AwaitingPickup]:
    """The next ``size`` handovers (by parcel id, after ``after_id``) of dispatched parcels with no courier event
    and no flag, with the time of each parcel's (first) dispatch scan."""
    dispatched = _first_dispatch(parcel_handover.c.parcel_id)
    rows = connection.execute(
        select(parcel_handover.c.parcel_id, parcel_handover.c.handed_over_at, dispatched.label("dispatched_at"))
        .join(parcel, parcel.c.id == parcel_handover.c.parcel_id)
        .where(
            parcel_handover.c.accepted_at.is_(None),
            parcel_handover.c.not_picked_up_at.is_(None),
            parcel.c.status == Status.DISPATCHED.value,
            parcel_handover.c.parcel_id > after_id,
        )
        .order_by(parcel_handover.c.parcel_id)
        .limit(size)
    )
    return [AwaitingPickup(r.parcel_id, r.handed_over_at, r.dispatched_at) for r in rows]


def flag_not_picked_up(connection: Connection, parcel_ids: Sequence[int], *, now: datetime) -> list[int]:
    """Flag those of ``parcel_ids`` still without a courier event or a flag; the ids flagged now (a concurrent
    pass that got there first leaves none to this one)."""
    if not parcel_ids:
        return []
    rows = connection.execute(
        update(parcel_handover)
        .where(
            parcel_handover.c.parcel_id.in_(sorted(parcel_ids)),
            parcel_handover.c.accepted_at.is_(None),
            parcel_handover.c.not_picked_up_at.is_(None),
        )
        .values(not_picked_up_at=now)
        .returning(parcel_handover.c.parcel_id)
    )
    return sorted(r.parcel_id for r in rows)


def dispatched_at(connection: Connection, parcel_ids: Sequence[int]) -> dict[int, datetime]:
    """parcel id -> the time of its first dispatch scan (parcels without one are left out)."""
    if not parcel_ids:
        return {}
    rows = connection.execute(
        select(scan_event.c.parcel_id, func.min(scan_event.c.occurred_at))
        .where(scan_event.c.parcel_id.in_(sorted(set(parcel_ids))), _DISPATCH_SCAN)
        .group_by(scan_event.c.parcel_id)
    )
    return {pid: at for pid, at in rows}


def mark_accepted(connection: Connection, parcel_ids: Sequence[int], *, now: datetime) -> None:
    """The courier's first event reached these parcels: they are picked up (and leave the queue)."""
    if parcel_ids:
        connection.execute(
            update(parcel_handover)
            .where(parcel_handover.c.parcel_id.in_(sorted(set(parcel_ids))), parcel_handover.c.accepted_at.is_(None))
            .values(accepted_at=now)
        )


def mark_early(connection: Connection, early: Mapping[int, datetime]) -> None:
    """parcel id -> a courier event dated before its dispatch scan: keep the earliest such time."""
    for parcel_id, at in early.items():
        connection.execute(
            update(parcel_handover)
            .where(
                parcel_handover.c.parcel_id == parcel_id,
                or_(parcel_handover.c.early_event_at.is_(None), parcel_handover.c.early_event_at > at),
            )
            .values(early_event_at=at)
        )


@dataclass(frozen=True, slots=True)
class EarlyCheck:
    """What decides a handover's early mark: the mark as it stands, the parcel's dispatch time and the earliest
    event of the handover's courier (and number) on the parcel."""

    parcel_id: int
    early_event_at: datetime | None
    dispatched_at: datetime | None
    first_event_at: datetime | None


# The courier's earliest event on the parcel, of the handover's courier and number (an earlier handover's
# courier's events are not this handover's).
_FIRST_COURIER_EVENT = (
    select(func.min(scan_event.c.occurred_at))
    .select_from(courier_event.join(scan_event, scan_event.c.event_id == courier_event.c.event_id))
    .where(
        courier_event.c.parcel_id == parcel_handover.c.parcel_id,
        courier_event.c.courier == parcel_handover.c.courier,
        courier_event.c.courier_tracking_number == parcel_handover.c.tracking_number,
    )
    .correlate(parcel_handover)
    .scalar_subquery()
)
# One statement (and one plan) for any number of parcels: a scan batch's dispatched ones.
_EARLY_CHECKS = select(
    parcel_handover.c.parcel_id,
    parcel_handover.c.early_event_at,
    _first_dispatch(parcel_handover.c.parcel_id).label("dispatched_at"),
    _FIRST_COURIER_EVENT.label("first_event_at"),
).where(any_of(parcel_handover.c.parcel_id, "ids"))


def early_checks(connection: Connection, parcel_ids: Sequence[int]) -> list[EarlyCheck]:
    """The early checks of those of ``parcel_ids`` that are handed over, in one query (the scan transaction runs it
    for the parcels it recorded dispatch scans of)."""
    if not parcel_ids:
        return []
    rows = connection.execute(_EARLY_CHECKS, {"ids": sorted(set(parcel_ids))})
    return [EarlyCheck(r.parcel_id, r.early_event_at, r.dispatched_at, r.first_event_at) for r in rows]


def save_early(connection: Connection, marks: Mapping[int, datetime | None]) -> None:
    """parcel id -> its early mark as it now stands (None: no courier event is before dispatch any more), in one
    statement."""
    if marks:
        connection.execute(
            update(parcel_handover)
            .where(parcel_handover.c.parcel_id == bindparam("marked_parcel"))
            .values(early_event_at=bindparam("mark")),
            [{"marked_parcel": pid, "mark": at} for pid, at in sorted(marks.items())],
        )
