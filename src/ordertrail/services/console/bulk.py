"""Bulk actions over the parcel list's filter: preview the parcels, then message their customers, cancel them,
mark their exceptions handled or resend their email or webhooks (bulk_kinds.py), in one transaction, once per
submitted form (its idempotency key), with one audit entry per parcel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.console.bulk import MAX_BULK, BulkAction, BulkKind, selection_digest
from ordertrail.domain.console.filters import ParcelFilter
from ordertrail.domain.errors import Conflict, IdempotencyKeyConflict, InvalidInput
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.services.console import bulk_kinds
from ordertrail.services.console.parcels import with_counted
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.storage.console import bulk as bulk_store
from ordertrail.storage.console import parcels as list_store
from ordertrail.storage.orders import parcels as parcel_store


@dataclass(frozen=True, slots=True)
class Selection:
    tracking_numbers: tuple[str, ...]
    digest: str


class SelectionChanged(Conflict):
    """The filter selects other parcels than the preview showed: look at the new preview."""


async def preview(services: Services, reader: Reader, parcel_filter: ParcelFilter) -> Selection:
    """The parcels the filter selects for the reader. Raises InvalidInput when they are more than MAX_BULK."""
    # The analytics and dwelling filters select by parcel ids the list resolves: without them the preview would
    # hold every parcel the rest of the filter passes.
    scoped = await with_counted(services, parcel_filter.within(reader.scope))
    found = await services.db.read(lambda c: list_store.list_parcels(c, scoped, after=None, limit=MAX_BULK + 1))
    if len(found) > MAX_BULK:
        raise InvalidInput(f"A bulk action takes at most {MAX_BULK} parcels: narrow the filter.", field="filter")
    numbers = tuple(p.tracking_number for p in found)
    return Selection(numbers, selection_digest(numbers))


async def run(
    services: Services,
    reader: Reader,
    parcel_filter: ParcelFilter,
    *,
    kind: BulkKind,
    text: str,
    digest: str,
    key: str,
) -> tuple[BulkAction, bool]:
    """Act on the selection the preview showed (``digest``); the action and whether this call did it (False: the
    key was used already, nothing was done again). Raises Forbidden, InvalidInput, SelectionChanged, and
    NotCancellable or NothingDone (then nothing is done, and the key stays unused)."""
    body = bulk_kinds.checked(reader, kind, text)
    if not key or len(key) > 200:
        raise InvalidInput("The form's key is missing: open the preview again.", field="key")
    done = await services.db.read(lambda c: bulk_store.by_key(c, actor=reader.actor, key=key))
    if done is not None:
        if (done.action, done.text) != (kind.value, body):  # not a second submit, but another request: refused
            raise IdempotencyKeyConflict("This form's key was used for another bulk action: open the preview again.",
                                         field="key")  # fmt: skip
        return done, False  # a second submit: what the first one did, nothing more
    selection = await preview(services, reader, parcel_filter)
    if selection.digest != digest:
        raise SelectionChanged(field="filter")

    def transaction(connection: Connection) -> tuple[BulkAction | None, list[ParcelChange]]:
        now = services.clock()
        numbers = list(selection.tracking_numbers)
        claimed = bulk_store.claim(
            connection, key=key, actor=reader.actor, action=kind.value, parcel_count=len(numbers), text=body, at=now
        )
        if claimed is None:
            return None, []  # the same form, submitted twice at once: the other request acts
        locked = parcel_store.parcels_by_tracking_number(connection, numbers, for_update=True)
        parcels = [locked[n] for n in numbers if n in locked and reader.sees(locked[n].merchant_id)]
        return claimed, bulk_kinds.act_tx(connection, services, reader, kind, parcels, body, key=key)

    claimed, changes = await services.db.write(transaction)
    await services.committed(changes)
    if claimed is None:
        raced = await services.db.read(lambda c: bulk_store.by_key(c, actor=reader.actor, key=key))
        assert raced is not None
        return raced, False
    return claimed, True


async def result(services: Services, reader: Reader, key: str) -> BulkAction | None:
    """What the reader's bulk action under ``key`` did (None: no such action of theirs)."""
    return await services.db.read(lambda c: bulk_store.by_key(c, actor=reader.actor, key=key))
