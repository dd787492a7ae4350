"""Labels to print: the reader's parcels without a printed label, those printed today, and printing a batch.

Printing renders one PDF of the parcels' labels (the label renderer, ``services/orders/labels.py``) and records a
``label_print`` row and an audit entry per parcel, in one transaction; a parcel printed before is recorded as a
reprint. The batch is the request's idempotency key (a fresh one without): a retry under the same key renders the
same labels again and records nothing; the same key for other parcels is a conflict.

Who may: staff with PRINT_LABELS (operations, merchant, admin) and merchant and admin keys; support and viewers read
the list only. Another merchant's parcel is answered as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.console.label_prints import LabelRow, day_start, wanted_numbers
from ordertrail.domain.errors import Forbidden, IdempotencyKeyConflict, ParcelNotFound
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.labels import LabelData, Layout
from ordertrail.services.console.detail import canonical_number
from ordertrail.services.console.readers import Reader
from ordertrail.services.orders import labels as label_service
from ordertrail.services.ports import Ports
from ordertrail.storage.console import label_prints as print_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store

LIST_LIMIT = 500


@dataclass(frozen=True, slots=True)
class LabelsPage:
    to_print: list[LabelRow]
    printed_today: list[LabelRow]


@dataclass(frozen=True, slots=True)
class PrintedLabels:
    pdf: bytes
    tracking_numbers: list[str]
    batch: str
    replayed: bool  # a retry under the same key: nothing recorded this time


async def labels_page(services: Ports, reader: Reader) -> LabelsPage:
    since = day_start(services.clock())

    def read(connection: Connection) -> LabelsPage:
        return LabelsPage(
            to_print=print_store.to_print(connection, scope=reader.scope, since=since, limit=LIST_LIMIT),
            printed_today=print_store.printed_since(connection, scope=reader.scope, since=since, limit=LIST_LIMIT),
        )

    return await services.db.read_apart(read)  # a scan of the parcels not yet dispatched: may take a while


async def unprinted_count(services: Ports, reader: Reader) -> int:
    since = day_start(services.clock())

    def read(connection: Connection) -> int:
        return print_store.unprinted_count(connection, scope=reader.scope, since=since)

    return await services.db.read_apart(read)  # as the overview's other counts


async def print_labels(
    services: Ports,
    reader: Reader,
    *,
    tracking_numbers: Sequence[str],
    layout: Layout,
    public_base_url: str,
    idempotency_key: str | None,
) -> PrintedLabels:
    """Raises Forbidden, InvalidInput (``tracking_numbers``), ParcelNotFound and IdempotencyKeyConflict."""
    if not reader.may(Permission.PRINT_LABELS):
        raise Forbidden("Your role may read the labels to print but not print them.")
    numbers = wanted_numbers([canonical_number(n) for n in tracking_numbers])
    batch = idempotency_key or tokens.new_secret()
    now = services.clock()

    def write(connection: Connection) -> tuple[list[LabelData], bool]:
        found = parcel_store.parcels_by_tracking_number(connection, numbers, for_update=True)
        missing = [n for n in numbers if n not in found or not reader.sees(found[n].merchant_id)]
        if missing:
            raise ParcelNotFound(f"No parcel {', '.join(repr(n) for n in missing[:20])}.", field="tracking_numbers")
        parcels = [found[n] for n in numbers]
        earlier = print_store.batch_parcels(connection, actor=reader.actor, batch=batch)
        if earlier:
            if set(earlier) != {p.id for p in parcels}:
                raise IdempotencyKeyConflict(field="Idempotency-Key")
            return label_service.labels_of_parcels(connection, parcels, public_base_url), True
        printed = print_store.printed_parcels(connection, [p.id for p in parcels])
        for p in parcels:
            reprint = p.id in printed
            if not print_store.record(
                connection, parcel_id=p.id, actor=reader.actor, batch=batch, at=now, reprint=reprint
            ):
                continue  # a concurrent retry of this batch recorded it first
            audit_store.append(
                connection,
                actor=reader.actor,
                action=Action.LABEL_REPRINTED if reprint else Action.LABEL_PRINTED,
                at=now,
                merchant_id=p.merchant_id,
                order_number=p.order_number,
                tracking_number=p.tracking_number,
                detail={"batch_size": len(parcels), "layout": layout.value},
            )
        return label_service.labels_of_parcels(connection, parcels, public_base_url), False

    labels, replayed = await services.db.write(write)
    pdf = await label_service.render(labels, layout)
    return PrintedLabels(pdf=pdf, tracking_numbers=numbers, batch=batch, replayed=replayed)
