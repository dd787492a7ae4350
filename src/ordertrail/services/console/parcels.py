"""The parcel list for a reader: one page, the whole filtered set for export (in batches), and the overview.

The reader's merchants narrow every filter here, in one place, whatever the caller (page, API, export).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from ordertrail.domain.console.filters import ListedParcel, ParcelFilter, Position
from ordertrail.domain.console.query import ListQuery
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.analytics.delivery import counted_parcel_ids
from ordertrail.services.analytics.spans import dwelling_now, dwelling_now_count
from ordertrail.services.console.readers import Reader, merchant_named
from ordertrail.services.ports import Ports
from ordertrail.storage.console import parcels as list_store
from ordertrail.storage.staff import audit as audit_store

EXPORT_BATCH = 500


@dataclass(frozen=True, slots=True)
class ParcelPage:
    parcels: tuple[ListedParcel, ...]
    next_cursor: str | None


async def resolved_filter(services: Ports, reader: Reader, query: ListQuery) -> ParcelFilter:
    """The query's filter with its merchant (a name) resolved among the reader's. Raises InvalidInput."""
    if query.merchant is None:
        return query.filter
    merchant_id = await merchant_named(services, reader, query.merchant)
    return replace(query.filter, merchant_ids=frozenset({merchant_id}))


async def list_parcels(
    services: Ports, reader: Reader, parcel_filter: ParcelFilter, *, cursor: str | None, limit: int
) -> ParcelPage:
    """A page of the reader's parcels that pass ``parcel_filter``. Raises InvalidInput for a bad cursor."""
    scoped = await with_counted(services, parcel_filter.within(reader.scope))
    after = Position.decode(cursor, scoped.sort) if cursor else None

    def read(connection: Connection) -> list[ListedParcel]:
        return list_store.list_parcels(connection, scoped, after=after, limit=limit + 1)

    found = await services.db.read(read)
    page = tuple(_as_seen_by(reader, item) for item in found[:limit])
    next_cursor = page[-1].position(scoped.sort).encode() if len(found) > limit else None
    return ParcelPage(page, next_cursor)


async def export_parcels(services: Ports, reader: Reader, parcel_filter: ParcelFilter) -> AsyncIterator[ListedParcel]:
    """Every parcel the filter passes, in its sort order, read in batches (memory stays flat however many)."""
    scoped = await with_counted(services, parcel_filter.within(reader.scope))
    after: Position | None = None
    while True:
        batch = await services.db.read_apart(_batch_reader(scoped, after))
        for item in batch:
            yield _as_seen_by(reader, item)
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].position(scoped.sort)


def _as_seen_by(reader: Reader, item: ListedParcel) -> ListedParcel:
    """The row without the customer's email for a reader whose role may not see contacts (a viewer)."""
    return item if reader.may(Permission.CONTACT) else replace(item, customer_email=None)


async def with_counted(services: Ports, scoped: ParcelFilter) -> ParcelFilter:
    """The filter with the parcels its analytics figure counted and, with ``dwelling``, those dwelling now,
    within its merchants (already the reader's)."""
    ids: frozenset[int] | None = None
    if scoped.counted is not None:
        ids = await counted_parcel_ids(services, scoped.counted, merchant_ids=scoped.merchant_ids)
    if scoped.dwelling:
        waiting = (await dwelling_now(services, merchant_ids=scoped.merchant_ids)).parcel_ids
        ids = waiting if ids is None else ids & waiting
    return scoped if ids is None else replace(scoped, parcel_ids=ids)


def _batch_reader(scoped: ParcelFilter, after: Position | None) -> Callable[[Connection], list[ListedParcel]]:
    def read(connection: Connection) -> list[ListedParcel]:
        return list_store.list_parcels(connection, scoped, after=after, limit=EXPORT_BATCH)

    return read


async def record_export(services: Ports, reader: Reader, *, query: dict[str, str]) -> None:
    """The audit entry of an export, written before the first row is sent."""
    now = services.clock()
    merchant_id = next(iter(reader.scope)) if reader.scope is not None and len(reader.scope) == 1 else None
    await services.db.write(
        lambda c: audit_store.append(
            c, actor=reader.actor, action=Action.PARCELS_EXPORTED, at=now, merchant_id=merchant_id, detail=query
        )
    )


async def overview(services: Ports, reader: Reader) -> dict[str, int]:
    """Parcels by status, and the delayed, stalled and dwelling counts, over the reader's merchants."""
    scope = reader.scope
    counts = await services.db.read_apart(lambda c: list_store.status_counts(c, scope))
    # The same condition as the list's ``dwelling=true`` (storage/analytics/dwelling.py), so the count equals the
    # list it links to.
    counts["dwelling"] = await dwelling_now_count(services, merchant_ids=scope)
    return counts


async def problem_reasons(services: Ports, reader: Reader) -> dict[tuple[str, str], int]:
    """Parcels held up by an exception or a failed attempt, by (status, reason), over the reader's merchants."""
    scope = reader.scope
    return await services.db.read_apart(lambda c: list_store.problem_reasons(c, scope))
