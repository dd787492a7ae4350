"""Handing parcels to couriers in bulk (the API's batch and the console's CSV upload): each item goes through the
one handover step (handing_over.py: the same checks, refusals and audit entry), answered in its place; the whole
batch runs in one transaction, once per idempotency key. A preview runs the same transaction and rolls it back."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection

from ordertrail.domain.errors import (
    CourierNumberTaken,
    FieldProblem,
    IdempotencyKeyConflict,
    InvalidInput,
    ParcelNotFound,
)
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.services.console.detail import canonical_number
from ordertrail.services.console.handing_over import hand_over_tx, require_handover
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.couriers.handover import checked_handover
from ordertrail.storage.console import bulk as bulk_store
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.orders import parcels as parcel_store

MAX_HANDOVERS: Final = 1000
ACTION: Final = "handover"  # its bulk_action rows (the key's row says what the batch did)
# The handover's own field names, as a batch item names them (the item's tracking_number is ordertrail's).
_ITEM_FIELD: Final = {"tracking_number": "courier_tracking_number"}


@dataclass(frozen=True, slots=True)
class HandoverItem:
    tracking_number: str
    courier: str
    courier_tracking_number: str
    service_level: str | None = None
    tracking_url: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one item: ``handed_over``, ``unchanged`` (that handover stands already), ``invalid`` (with
    the problems, fields named ``handovers.<n>.<field>``) or ``not_found`` (unknown, malformed or another
    merchant's parcel alike)."""

    index: int
    tracking_number: str | None
    outcome: str
    courier: str | None = None
    courier_tracking_number: str | None = None
    errors: tuple[FieldProblem, ...] = field(default=())

    def document(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tracking_number": self.tracking_number,
            "outcome": self.outcome,
            "courier": self.courier,
            "courier_tracking_number": self.courier_tracking_number,
            "errors": [{"field": p.field, "reason": p.reason} for p in self.errors],
        }


@dataclass(frozen=True, slots=True)
class BatchResult:
    results: tuple[ItemResult, ...]
    replayed: bool = False  # a retry under the same key: the first answer, nothing done again

    def document(self) -> dict[str, Any]:
        counts = {o: 0 for o in ("handed_over", "unchanged", "invalid", "not_found")}
        for result in self.results:
            counts[result.outcome] += 1
        return {"results": [r.document() for r in self.results], "counts": counts}


class _Preview(Exception):  # not an error: it carries the preview's results out of the rollback
    def __init__(self, results: list[ItemResult]) -> None:
        super().__init__()
        self.results = results


# An item refused before it reached the service (a malformed one of the API's batch, a CSV line) keeps its place.
Item = HandoverItem | ItemResult


def _digest(items: Sequence[Item]) -> str:
    rows = [
        i.document()
        if isinstance(i, ItemResult)
        else [i.tracking_number, i.courier, i.courier_tracking_number, i.service_level, i.tracking_url]
        for i in items
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _checked_size(items: Sequence[Item]) -> None:
    if not items:
        raise InvalidInput("The batch has no handovers.", field="handovers")
    if len(items) > MAX_HANDOVERS:
        raise InvalidInput(f"A batch takes at most {MAX_HANDOVERS} handovers.", field="handovers")


def _run_tx(connection: Connection, services: Services, reader: Reader, items: Sequence[Item]) -> tuple[
    list[ItemResult], list[ParcelChange]
]:  # fmt: skip
    now = services.clock()
    results: list[ItemResult] = []
    changes: list[ParcelChange] = []
    numbers: dict[int, str] = {}
    for index, item in enumerate(items):
        if isinstance(item, ItemResult):
            continue
        with contextlib.suppress(ParcelNotFound):  # malformed: not found, as an unknown number
            numbers[index] = canonical_number(item.tracking_number)
    locked = parcel_store.parcels_by_tracking_number(connection, sorted(set(numbers.values())), for_update=True)
    for index, item in enumerate(items):
        prefix = f"handovers.{index}."
        if isinstance(item, ItemResult):
            results.append(item)
            continue
        try:
            handover = checked_handover(
                courier=item.courier,
                tracking_number=item.courier_tracking_number,
                service_level=item.service_level,
                tracking_url=item.tracking_url,
                at=now,
            )
        except InvalidInput as error:
            problems = tuple(FieldProblem(prefix + _ITEM_FIELD.get(p.field, p.field), p.reason) for p in error.problems)
            results.append(ItemResult(index, item.tracking_number, "invalid", errors=problems))
            continue
        parcel = locked.get(numbers.get(index, ""))
        if parcel is None or not reader.sees(parcel.merchant_id):
            results.append(ItemResult(index, item.tracking_number, "not_found"))
            continue
        done = ItemResult(index, parcel.tracking_number, "handed_over", handover.courier, handover.tracking_number)
        current = handover_store.handover_of(connection, parcel.id)
        same = (handover.courier, handover.tracking_number, handover.service_level, handover.tracking_url)
        if current is not None and same == (
            current.courier,
            current.tracking_number,
            current.service_level,
            current.tracking_url,
        ):
            results.append(ItemResult(index, parcel.tracking_number, "unchanged", *same[:2]))
            continue
        try:
            changes += hand_over_tx(connection, services, reader, parcel, handover)
        except CourierNumberTaken as error:
            problem = FieldProblem(prefix + "courier_tracking_number", error.detail)
            results.append(ItemResult(index, parcel.tracking_number, "invalid", errors=(problem,)))
            continue
        results.append(done)
    return results, changes


async def preview(services: Services, reader: Reader, items: Sequence[Item]) -> BatchResult:
    """What handing these over would do, by the very transaction that does it, rolled back: nothing is written."""
    require_handover(reader)
    _checked_size(items)

    def transaction(connection: Connection) -> None:
        results, _ = _run_tx(connection, services, reader, items)
        raise _Preview(results)

    try:
        await services.db.write(transaction)
    except _Preview as preview_:
        return BatchResult(tuple(preview_.results))
    raise AssertionError("unreachable: the preview always rolls back")


async def hand_over_all(services: Services, reader: Reader, items: Sequence[Item], *, key: str | None) -> BatchResult:
    """Hand each item's parcel over (each answered in its place) in one transaction. With ``key``, once: a retry
    answers with the first answer (``replayed``), another batch under that key raises IdempotencyKeyConflict.
    Raises Forbidden and InvalidInput (``handovers``: empty or too many)."""
    require_handover(reader)
    _checked_size(items)
    digest = _digest(items)
    if key is not None:
        earlier = await services.db.read(lambda c: bulk_store.by_key(c, actor=reader.actor, key=key))
        if earlier is not None:
            return _replay(earlier.action, earlier.text, digest)

    def transaction(connection: Connection) -> tuple[BatchResult, list[ParcelChange]]:
        now = services.clock()
        results, changes = _run_tx(connection, services, reader, items)
        batch = BatchResult(tuple(results))
        if key is not None:
            text = json.dumps({"digest": digest, "answer": batch.document()})
            handed = sum(r.outcome == "handed_over" for r in results)
            claimed = bulk_store.claim(
                connection, key=key, actor=reader.actor, action=ACTION, parcel_count=handed, text=text, at=now
            )
            if claimed is None:  # the same batch, sent twice at once: the other request acted; roll this one back
                raise _Preview(results)
        return batch, changes

    try:
        batch, changes = await services.db.write(transaction)
    except _Preview:
        assert key is not None
        raced = await services.db.read(lambda c: bulk_store.by_key(c, actor=reader.actor, key=key))
        assert raced is not None
        return _replay(raced.action, raced.text, digest)
    await services.committed(changes)
    return batch


def _replay(action: str, text: str, digest: str) -> BatchResult:
    stored = json.loads(text) if action == ACTION else {}
    if stored.get("digest") != digest:
        raise IdempotencyKeyConflict("This key was used for another request.", field="Idempotency-Key")
    results = tuple(
        ItemResult(
            r["index"],
            r["tracking_number"],
            r["outcome"],
            r["courier"],
            r["courier_tracking_number"],
            tuple(FieldProblem(p["field"], p["reason"]) for p in r["errors"]),
        )
        for r in stored["answer"]["results"]
    )
    return BatchResult(results, replayed=True)
