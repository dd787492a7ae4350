"""The scan transaction: scans recorded idempotently and order-independently, in the caller's transaction.

``record_scans_tx`` is the one way events are appended: the HTTP path calls it through the group commit
(``ingestor.py``), order placement for the scans kept for its numbers, and ``record_scans`` commits it at once
for the CLI, the demo and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal
from ordertrail.domain.couriers.reconciliation import early_mark
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.parcel import Appended, ParcelLog
from ordertrail.domain.scanning.scans import (
    Carrier,
    NewEvent,
    Outcome,
    ScanInput,
    before_order_problems,
    scan_problems,
)
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.services.context import HandoverRecorder, Services
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.estimating.update import estimate_changes
from ordertrail.services.notifying.outbox import enqueue_notifications
from ordertrail.services.scanning.kept import scan_to_json
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.orders.parcels import SavedState
from ordertrail.storage.scanning import events as scan_store
from ordertrail.storage.scanning import unmatched as unmatched_store
from ordertrail.storage.scanning import visits as visit_store


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The outcome of one scan, with the stored event and the parcel after the commit where there is one."""

    event_id: str
    outcome: Outcome
    event: ScanEvent | None = None
    late: bool = False
    parcel: Parcel | None = None
    problems: tuple[FieldProblem, ...] = ()
    # What the event did, and the parcel's status (and since when) just before it: for scanner feedback
    # such as "already packed 2 min ago" or "delivered without out for delivery".
    effect: Effect | None = None
    previous_status: str | None = None
    previous_status_at: datetime | None = None


# Stands in for a created scan's result until the transaction knows the parcel as committed.
_CREATED = ScanResult("", Outcome.CREATED)


class Appending:
    """The parcels one transaction appends events to: their logs, the rows and the changes to commit."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.parcels: dict[int, Parcel] = {}
        self.logs: dict[int, ParcelLog] = {}
        self.rows: list[NewEvent] = []
        self.changes: list[ParcelChange] = []

    def log(self, parcel: Parcel) -> ParcelLog:
        """The parcel's log in this transaction (its stored events are read only if a replay needs them)."""
        found = self.logs.get(parcel.id)
        if found is None:
            self.parcels[parcel.id] = parcel
            found = self.logs[parcel.id] = ParcelLog(parcel.state, lambda: self._stored(parcel.id))
        return found

    def _stored(self, parcel_id: int) -> list[ScanEvent]:
        return scan_store.events_of(self.connection, [parcel_id]).get(parcel_id, [])

    def append(self, parcel: Parcel, event: ScanEvent, row: NewEvent) -> Appended:
        """Append ``event`` to the parcel (the same way for a scan and for an order's first event)."""
        log = self.log(parcel)
        appended = log.append(event)
        self.rows.append(row)
        after = log.state
        self.changes.append(
            ParcelChange(
                parcel_id=parcel.id,
                order_id=parcel.order_id,
                merchant_id=parcel.merchant_id,
                tracking_number=parcel.tracking_number,
                event=event,
                effect=appended.effect,
                late=appended.late,
                previous_status=appended.before.status.value,
                status=after.status.value,
                substatus=after.substatus,
                status_version=after.status_version,
            )
        )
        return appended

    def commit(
        self,
        *,
        now: datetime,
        estimates: EstimateRuntime | None,
        handed_over: Mapping[int, tuple[str, str | None]] | None = None,
    ) -> dict[int, Parcel]:
        """Write what was appended: the events, the estimates, the parcels' new state and the outbox rows (all in
        the caller's transaction). Returns every parcel as this transaction leaves it. ``handed_over``: parcel id
        -> the courier and service level a dispatch scan's carrier block hands it to (part of its lane)."""
        scan_store.append_events(self.connection, self.rows)
        # The events' own notices first, then the estimates' delay notices: outbox ids are the delivery order
        # of each recipient's queue, so an order late at once says "confirmed" before "running late".
        enqueue_notifications(self.connection, self.changes, now=now)  # the outbox rows commit with the events
        estimated = estimate_changes(
            self.connection, self.changes, self.parcels, now=now, runtime=estimates, handed_over=handed_over
        )
        saved: list[SavedState] = []
        final: dict[int, Parcel] = {}
        for pid, log in self.logs.items():
            parcel, found = self.parcels[pid], estimated.get(pid)
            if not log.new_events:
                final[pid] = parcel
                continue
            if found is None:  # estimates are off
                saved.append(SavedState(pid, log.state))
                final[pid] = parcel._replace(state=log.state)
            else:
                saved.append(SavedState(pid, log.state, found.state, found.as_read))
                final[pid] = parcel._replace(state=log.state, estimate=found.state)
        parcel_store.save_states(self.connection, saved, now=now)
        self._save_visits()
        return final

    def _save_visits(self) -> None:
        """The facility visits the new events ended: a replayed parcel's all again, else those in-order scans
        ended (the store keeps the first per facility)."""
        changed = [(pid, log) for pid, log in self.logs.items() if log.new_events]
        rewritten = {pid: log.visits() for pid, log in changed if log.replayed}
        ended = [(pid, visit) for pid, log in changed if not log.replayed for visit in log.ended_visits]
        if rewritten or ended:
            visit_store.save_visits(self.connection, rewritten=rewritten, ended=ended)


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
    estimates: EstimateRuntime | None = None,
    handovers: HandoverRecorder | None = None,
) -> tuple[list[ScanResult], list[ParcelChange]]:
    """Record scans (each with the id of the key that sent it) in the caller's transaction.

    A dispatched scan's carrier block is recorded by ``handovers`` (the couriers room) after the events; a scan
    whose courier number belongs to another parcel is invalid (``carrier.tracking_number``) and records nothing.

    Reads per group, not per scan: the event ids already used, and the parcels with their state. A parcel's
    stored events are read only for an event that happened before its latest one, a correction, or the answer
    to a retry; otherwise the parcel's state alone decides (``ParcelState.advance``).
    """
    known = scan_store.known_event_ids(connection, list({scan.event_id for scan, _ in items}))
    parcels = parcel_store.parcels_by_tracking_number(
        connection, list({scan.tracking_number for scan, _ in items}), for_update=True
    )
    appending = Appending(connection)
    results: list[ScanResult] = []
    seen: dict[str, str] = {}  # event_id -> body hash, for repeats within this batch
    created: dict[str, tuple[ScanEvent, Appended]] = {}
    carried: list[tuple[Parcel, ScanInput]] = []
    dispatched: set[int] = set()  # parcels given a dispatch scan: their courier's events may now be early
    holders = _courier_number_holders(connection, items)  # {} unless a scan carries a carrier block

    for scan, key_id in items:
        earlier = known.get(scan.event_id)
        if earlier is not None or scan.event_id in seen:
            body_hash = earlier.body_hash if earlier is not None else seen[scan.event_id]
            parcel = parcels.get(scan.tracking_number)
            if body_hash != scan.body_hash:
                results.append(ScanResult(scan.event_id, Outcome.CONFLICT))
            elif parcel is None or (earlier is not None and earlier.parcel_id is None):
                results.append(ScanResult(scan.event_id, Outcome.UNMATCHED))
            else:
                results.append(ScanResult(scan.event_id, Outcome.DUPLICATE))
                appending.log(parcel)
            continue
        problems = scan_problems(scan, now=now)
        if problems:
            results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=tuple(problems)))
            continue
        parcel = parcels.get(scan.tracking_number)
        if parcel is None:
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
        problems = before_order_problems(scan, placed_at=parcel.placed_at)
        if problems:
            results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=tuple(problems)))
            continue
        if scan.carrier is not None:
            problem = _carrier_problem(scan.carrier, parcel, holders, handovers)
            if problem is not None:
                results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=(problem,)))
                continue
            holders[(scan.carrier.courier, scan.carrier.tracking_number)] = parcel.id
            carried.append((parcel, scan))
        log = appending.log(parcel)
        if scan.status == CORRECTION:
            problem = _correction_problem(scan, log)
            if problem is not None:
                results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=(problem,)))
                continue
        seen[scan.event_id] = scan.body_hash
        event = ScanEvent(
            event_id=scan.event_id,
            sequence=log.next_sequence,
            status=scan.status,
            occurred_at=scan.occurred_at,
            recorded_at=now,
            substatus=scan.substatus,
            location=scan.location,
            note=scan.note,
            reason=scan.reason,
            voids_event_id=scan.voids_event_id,
        )
        appended = appending.append(parcel, event, NewEvent(parcel.id, event, scan.body_hash, key_id, scan.proof))
        created[event.event_id] = (event, appended)
        results.append(_CREATED)
        if scan.status == Status.DISPATCHED:
            dispatched.add(parcel.id)

    # A carried handover's courier is part of the lane the dispatch scan's own estimate uses.
    handed_over = {p.id: (s.carrier.courier, s.carrier.service_level) for p, s in carried if s.carrier is not None}
    final = appending.commit(now=now, estimates=estimates, handed_over=handed_over)
    changes = appending.changes
    if carried and handovers is not None:
        # After the events: the courier's kept events join the timeline behind the dispatch scan.
        changes = [
            *changes,
            *handovers(connection, [(final[p.id], s) for p, s in carried], now=now, estimates=estimates),
        ]
    if dispatched:
        _mark_early_courier_events(connection, dispatched)
    finished = []
    for result, (scan, _) in zip(results, items, strict=True):
        if result is _CREATED:
            event, appended = created[scan.event_id]
            parcel = final[parcels[scan.tracking_number].id]
            result = ScanResult(
                scan.event_id,
                Outcome.CREATED,
                event=event,
                late=appended.late,
                parcel=parcel,
                effect=appended.effect,
                previous_status=appended.before.status.value,
                previous_status_at=appended.before.status_changed_at,
            )
        elif result.outcome is Outcome.DUPLICATE:
            parcel = final[parcels[scan.tracking_number].id]
            result = _stored_result(result, appending.logs[parcel.id], parcel)
        finished.append(result)
    return finished, changes


def _courier_number_holders(
    connection: Connection, items: Sequence[tuple[ScanInput, int | None]]
) -> dict[tuple[str, str], int]:
    """(courier, courier's number) -> the parcel handed over under it, for the carrier blocks of ``items``."""
    keys = [(s.carrier.courier, s.carrier.tracking_number) for s, _ in items if s.carrier is not None]
    return handover_store.parcels_by_courier_number(connection, keys) if keys else {}


def _mark_early_courier_events(connection: Connection, parcel_ids: set[int]) -> None:
    """The other order of "a courier event dated before the dispatch scan" (the couriers room checks each courier
    event as it is recorded): a dispatch scan recorded after the courier's events may date some of them early, or,
    dated before the earlier dispatch scan, none any more. One read for the batch's dispatched parcels; a write only
    where a mark changes."""
    marks: dict[int, datetime | None] = {}
    for check in handover_store.early_checks(connection, sorted(parcel_ids)):
        mark = early_mark(check.first_event_at, check.dispatched_at)
        if mark != check.early_event_at:
            marks[check.parcel_id] = mark
    handover_store.save_early(connection, marks)


def _carrier_problem(
    carrier: Carrier, parcel: Parcel, holders: dict[tuple[str, str], int], handovers: HandoverRecorder | None
) -> FieldProblem | None:
    if handovers is None:
        return FieldProblem("carrier", "is not taken by this process (no couriers room)")
    holder = holders.get((carrier.courier, carrier.tracking_number))
    if holder is not None and holder != parcel.id:
        return FieldProblem("carrier.tracking_number", "is another parcel's number at that courier")
    return None


def _stored_result(result: ScanResult, log: ParcelLog, final: Parcel) -> ScanResult:
    """A retry gets the stored event (with its late flag as of now) and the parcel as it is."""
    entry = log.entry(result.event_id)
    if entry is None:
        return replace(result, parcel=final)
    return replace(result, event=entry.event, late=entry.late, parcel=final, effect=entry.effect)


def _correction_problem(scan: ScanInput, log: ParcelLog) -> FieldProblem | None:
    entry = log.entry(scan.voids_event_id or "")
    if entry is None:
        return FieldProblem("voids_event_id", "names no event of this parcel")
    if entry.event.status in (CORRECTION, Status.ORDER_PLACED):
        return FieldProblem("voids_event_id", f"names an event of status {entry.event.status}, which cannot be voided")
    return None


async def record_scans(services: Services, *, scans: Sequence[ScanInput], principal: Principal) -> list[ScanResult]:
    """Record scans sent with ``principal``'s key in one transaction; one result per scan, in order."""
    items = [(with_device_facility(scan, principal), principal.key_id) for scan in scans]

    def transaction(connection: Connection) -> tuple[list[ScanResult], list[ParcelChange]]:
        return record_scans_tx(
            connection, items, now=services.clock(), estimates=services.estimates, handovers=services.handovers
        )

    results, changes = await services.db.write(transaction)
    await services.committed(changes)
    return results
