"""The scan transaction: scans recorded idempotently and order-independently, in the caller's transaction.

``record_scans_tx`` is the one way events are appended: the HTTP path calls it through the group commit
(``ingestor.py``), order placement for the scans kept for its numbers, and ``record_scans`` commits it at once
for the CLI, the demo and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.derivation import Derivation, ParcelState, TimelineEntry, derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.scans import NewEvent, Outcome, ScanInput, scan_problems
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EtaRuntime
from ordertrail.services.estimating.update import estimate_changes
from ordertrail.services.notifying.outbox import enqueue_notifications
from ordertrail.services.scanning.kept import scan_to_json
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.orders.parcels import ParcelRecord, Projection
from ordertrail.storage.scanning import events as scan_store
from ordertrail.storage.scanning import unmatched as unmatched_store


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The outcome of one scan, with the stored event and the parcel after the commit where there is one."""

    event_id: str
    outcome: Outcome
    event: ScanEvent | None = None
    late: bool = False
    parcel: ParcelRecord | None = None
    problems: tuple[FieldProblem, ...] = ()
    # What the event did, and the parcel's status (and since when) just before it: for scanner feedback
    # such as "already packed 2 min ago" or "delivered without out for delivery".
    effect: Effect | None = None
    previous_status: str | None = None
    previous_status_at: datetime | None = None


# Stands in for a created scan's result until the transaction knows the parcel as committed.
_CREATED = ScanResult("", Outcome.CREATED)


@dataclass
class _ParcelWork:
    """One parcel's state during a scan transaction. Its stored events are read only when needed."""

    record: ParcelRecord
    state: ParcelState
    status_version: int
    new_events: list[ScanEvent] = field(default_factory=list)
    events: list[ScanEvent] | None = None  # stored + new, once loaded
    derivation: Derivation | None = None

    @classmethod
    def of(cls, record: ParcelRecord) -> _ParcelWork:
        state = ParcelState(
            Status(record.status),
            record.substatus,
            record.furthest_rank,
            record.last_event_at,
            record.status_changed_at,
        )
        return cls(record, state, record.status_version)

    def replay(self, connection: Connection) -> Derivation:
        """Derive from every event (stored and new): for out-of-order events, corrections and retries."""
        if self.events is None:
            stored = scan_store.events_of(connection, [self.record.id]).get(self.record.id, [])
            self.events = [*stored, *self.new_events]
        if self.derivation is None:
            self.derivation = derive(self.events)
        return self.derivation

    def append(self, connection: Connection, event: ScanEvent) -> tuple[Effect, bool]:
        """Add a new event; returns what it did and whether it is late."""
        self.new_events.append(event)
        if self.events is not None:
            self.events.append(event)
        self.derivation = None
        advanced = self.state.advance(event)
        if advanced is not None:
            self.state, effect = advanced
            return effect, False
        derivation = self.replay(connection)
        self.state = derivation.state
        entry = next(e for e in derivation.timeline if e.event.event_id == event.event_id)
        return entry.effect, entry.late


def with_device_facility(scan: ScanInput, principal: Principal) -> ScanInput:
    """A scanner key bound to a facility records that facility, whatever the body says."""
    if principal.facility is None:
        return scan
    return replace(scan, location=scan.location._replace(facility=principal.facility))


def record_scans_tx(
    connection: Connection,
    items: Sequence[tuple[ScanInput, int | None]],
    *,
    now: datetime,
    estimates: EtaRuntime | None = None,
) -> tuple[list[ScanResult], list[ParcelChange]]:
    """Record scans (each with the id of the key that sent it) in the caller's transaction.

    Reads per group, not per scan: the event ids already used, and the parcels with their projection. A
    parcel's stored events are read only for an event that happened before its latest one, a correction, or
    the answer to a retry; otherwise the projection alone decides (``ParcelState.advance``).
    """
    known = scan_store.known_event_ids(connection, list({scan.event_id for scan, _ in items}))
    parcels = parcel_store.parcels_by_tracking_number(
        connection, list({scan.tracking_number for scan, _ in items}), for_update=True
    )
    work: dict[str, _ParcelWork] = {}
    results: list[ScanResult] = []
    changes: list[ParcelChange] = []
    seen: dict[str, str] = {}  # event_id -> body hash, for repeats within this batch
    created: dict[str, tuple[ScanEvent, bool, Effect, ParcelState]] = {}  # event_id -> (event, late, effect, before)
    new_rows: list[NewEvent] = []

    def parcel_work(record: ParcelRecord) -> _ParcelWork:
        if record.tracking_number not in work:
            work[record.tracking_number] = _ParcelWork.of(record)
        return work[record.tracking_number]

    for scan, key_id in items:
        earlier = known.get(scan.event_id)
        if earlier is not None or scan.event_id in seen:
            body_hash = earlier.body_hash if earlier is not None else seen[scan.event_id]
            record = parcels.get(scan.tracking_number)
            if body_hash != scan.body_hash:
                results.append(ScanResult(scan.event_id, Outcome.CONFLICT))
            elif record is None or (earlier is not None and earlier.parcel_id is None):
                results.append(ScanResult(scan.event_id, Outcome.UNMATCHED))
            else:
                results.append(ScanResult(scan.event_id, Outcome.DUPLICATE))
                parcel_work(record)
            continue
        problems = scan_problems(scan, now=now)
        if problems:
            results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=tuple(problems)))
            continue
        record = parcels.get(scan.tracking_number)
        if record is None:
            seen[scan.event_id] = scan.body_hash
            unmatched_store.keep_unmatched(
                connection,
                event_id=scan.event_id,
                tracking_number=scan.tracking_number,
                payload=scan_to_json(scan),
                body_hash=scan.body_hash,
                api_key_id=key_id,
                recorded_at=now,
            )
            results.append(ScanResult(scan.event_id, Outcome.UNMATCHED))
            continue
        parcel = parcel_work(record)
        if scan.status == CORRECTION:
            problem = _correction_problem(scan, parcel.replay(connection).timeline)
            if problem is not None:
                results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=(problem,)))
                continue
        seen[scan.event_id] = scan.body_hash
        event = ScanEvent(
            event_id=scan.event_id,
            sequence=record.last_sequence + len(parcel.new_events) + 1,
            status=scan.status,
            occurred_at=scan.occurred_at,
            recorded_at=now,
            substatus=scan.substatus,
            location=scan.location,
            note=scan.note,
            reason=scan.reason,
            voids_event_id=scan.voids_event_id,
        )
        previous = parcel.state
        effect, late = parcel.append(connection, event)
        if (parcel.state.status, parcel.state.substatus) != (previous.status, previous.substatus):
            parcel.status_version += 1
        created[event.event_id] = (event, late, effect, previous)
        new_rows.append(NewEvent(record.id, event, scan.body_hash, key_id, scan.proof))
        changes.append(
            ParcelChange(
                parcel_id=record.id,
                order_id=record.order_id,
                merchant_id=record.merchant_id,
                tracking_number=record.tracking_number,
                event=event,
                effect=effect,
                late=late,
                previous_status=previous.status.value,
                status=parcel.state.status.value,
                substatus=parcel.state.substatus,
                status_version=parcel.status_version,
            )
        )
        results.append(_CREATED)

    scan_store.append_events(connection, new_rows)
    records = {p.record.id: p.record for p in work.values()}
    eta = estimate_changes(connection, changes, now=now, runtime=estimates, records=records)
    projections = {p.record.id: _projection(p, now, eta.get(p.record.id)) for p in work.values() if p.new_events}
    parcel_store.save_projections(connection, list(projections.values()))
    final = {number: _committed(p.record, projections.get(p.record.id)) for number, p in work.items()}
    enqueue_notifications(connection, changes, now=now)  # the outbox rows commit with the events
    finished = []
    for result, (scan, _) in zip(results, items, strict=True):
        if result is _CREATED:
            event, late, effect, previous = created[scan.event_id]
            result = ScanResult(
                scan.event_id,
                Outcome.CREATED,
                event=event,
                late=late,
                parcel=final[scan.tracking_number],
                effect=effect,
                previous_status=previous.status.value,
                previous_status_at=previous.status_since,
            )
        elif result.outcome is Outcome.DUPLICATE:
            result = _stored_result(connection, result, work[scan.tracking_number], final[scan.tracking_number])
        finished.append(result)
    return finished, changes


def _committed(record: ParcelRecord, projection: Projection | None) -> ParcelRecord:
    """The parcel as this transaction leaves it."""
    if projection is None:
        return record
    # Built directly: dataclasses.replace costs several times more, and this runs for every scan.
    return ParcelRecord(
        id=record.id,
        order_id=record.order_id,
        tracking_number=record.tracking_number,
        position=record.position,
        parcel_count=record.parcel_count,
        reference=record.reference,
        weight_grams=record.weight_grams,
        merchant_id=record.merchant_id,
        order_number=record.order_number,
        destination_city=record.destination_city,
        destination_region=record.destination_region,
        destination_country=record.destination_country,
        promised_delivery_date=record.promised_delivery_date,
        status=projection.status,
        substatus=projection.substatus,
        furthest_rank=projection.furthest_rank,
        last_sequence=projection.last_sequence,
        status_version=projection.status_version,
        status_changed_at=projection.status_changed_at,
        last_event_at=projection.last_event_at,
    )


def _stored_result(connection: Connection, result: ScanResult, parcel: _ParcelWork, final: ParcelRecord) -> ScanResult:
    """A retry gets the stored event (with its late flag as of now) and the parcel as it is."""
    entry = next((e for e in parcel.replay(connection).timeline if e.event.event_id == result.event_id), None)
    if entry is None:
        return replace(result, parcel=final)
    return replace(result, event=entry.event, late=entry.late, parcel=final, effect=entry.effect)


def _correction_problem(scan: ScanInput, timeline: Sequence[TimelineEntry]) -> FieldProblem | None:
    target = next((e.event for e in timeline if e.event.event_id == scan.voids_event_id), None)
    if target is None:
        return FieldProblem("voids_event_id", "names no event of this parcel")
    if target.status in (CORRECTION, Status.ORDER_PLACED):
        return FieldProblem("voids_event_id", f"a {target.status} event cannot be voided")
    return None


def _projection(parcel: _ParcelWork, now: datetime, eta: Mapping[str, Any] | None = None) -> Projection:
    state = parcel.state
    return Projection(
        parcel_id=parcel.record.id,
        status=state.status.value,
        substatus=state.substatus,
        furthest_rank=state.furthest_rank,
        last_sequence=parcel.record.last_sequence + len(parcel.new_events),
        status_version=parcel.status_version,
        status_changed_at=state.status_since,
        last_event_at=state.latest_occurred_at,
        updated_at=now,
        eta=eta,
    )


async def record_scans(services: Services, *, scans: Sequence[ScanInput], principal: Principal) -> list[ScanResult]:
    """Record scans sent with ``principal``'s key in one transaction; one result per scan, in order."""
    items = [(with_device_facility(scan, principal), principal.key_id) for scan in scans]

    def transaction(connection: Connection) -> tuple[list[ScanResult], list[ParcelChange]]:
        return record_scans_tx(connection, items, now=services.clock(), estimates=services.estimates)

    results, changes = await services.db.write(transaction)
    await services.committed(changes)
    return results
