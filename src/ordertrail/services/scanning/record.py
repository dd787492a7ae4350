"""Recording scans: idempotent, order-independent, and committed in groups (group commit).

Every scan write goes through one ``ScanIngestor`` per process. Requests that arrive while a commit is in
flight are recorded together in the next transaction, so concurrent single scans share one disk flush, and a
batch from an offline handheld takes the very same path.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import FieldProblem, Forbidden, Unauthenticated
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.derivation import Derivation, ParcelState, TimelineEntry, derive
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.scans import Outcome, Proof, ScanInput, scan_problems
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import EtaRuntime
from ordertrail.services.estimating.update import estimate_changes
from ordertrail.services.notifying.outbox import enqueue_notifications
from ordertrail.storage.accounts import keys as key_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders.orders import ParcelRecord, Projection
from ordertrail.storage.scanning import events as scan_store

SCAN_ROLES = frozenset({Role.SCANNER, Role.ADMIN})
INTEGRITY_RERUNS = 6
logger = logging.getLogger("ordertrail.ingest")


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
    parcels = order_store.parcels_by_tracking_number(
        connection, list({scan.tracking_number for scan, _ in items}), for_update=True
    )
    work: dict[str, _ParcelWork] = {}
    results: list[ScanResult] = []
    changes: list[ParcelChange] = []
    seen: dict[str, str] = {}  # event_id -> body hash, for repeats within this batch
    created: dict[str, tuple[ScanEvent, bool, Effect, ParcelState]] = {}  # event_id -> (event, late, effect, before)
    new_rows: list[scan_store.NewEvent] = []

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
            scan_store.keep_unmatched(
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
        new_rows.append(scan_store.NewEvent(record.id, event, scan.body_hash, key_id, scan.proof))
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
    order_store.save_projections(connection, list(projections.values()))
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


def scan_to_json(scan: ScanInput) -> str:
    """A kept scan, to be replayed if its parcel appears."""
    proof = scan.proof
    document: dict[str, Any] = {
        "event_id": scan.event_id,
        "tracking_number": scan.tracking_number,
        "status": str(scan.status),
        "occurred_at": scan.occurred_at.isoformat(),
        "body_hash": scan.body_hash,
        "substatus": scan.substatus,
        "location": {
            name: getattr(scan.location, name)
            for name in ("facility", "city", "region", "postal_code", "country", "lat", "lon")
        },
        "note": scan.note,
        "reason": scan.reason,
        "voids_event_id": scan.voids_event_id,
        "proof": None
        if proof is None
        else {
            "recipient_name": proof.recipient_name,
            "signature_png": _b64(proof.signature_png),
            "photo_jpeg": _b64(proof.photo_jpeg),
        },
    }
    return json.dumps(document, separators=(",", ":"))


def scan_from_json(text: str) -> ScanInput:
    """The inverse of ``scan_to_json``."""
    document = json.loads(text)
    proof = document["proof"]
    status = document["status"]
    return ScanInput(
        event_id=document["event_id"],
        tracking_number=document["tracking_number"],
        status=CORRECTION if status == CORRECTION else Status(status),
        occurred_at=datetime.fromisoformat(document["occurred_at"]),
        body_hash=document["body_hash"],
        substatus=document["substatus"],
        location=Location(**document["location"]),
        note=document["note"],
        reason=document["reason"],
        voids_event_id=document["voids_event_id"],
        proof=None
        if proof is None
        else Proof(
            recipient_name=proof["recipient_name"],
            signature_png=_unb64(proof["signature_png"]),
            photo_jpeg=_unb64(proof["photo_jpeg"]),
        ),
    )


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


@dataclass
class _Submission:
    """One request's scans, the hash of the key it came with, and where its answer goes."""

    scans: Sequence[ScanInput]
    key_hash: str
    future: asyncio.Future[list[ScanResult]]


class ScanIngestor:
    """Group commit for scans: one writer loop per process takes everything pending into one transaction.

    The keys are checked in that same transaction (one query per group, not one read per request): a key
    revoked by then records nothing, and the event loop never waits on the store before a scan is queued.
    """

    def __init__(self, services: Services, *, max_group: int = 4000, gather_s: float = 0.001) -> None:
        self.services = services
        self.max_group = max_group
        self.gather_s = gather_s
        self._pending: list[_Submission] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ordertrail-scan-ingestor")

    async def stop(self) -> None:
        """Finish what is pending, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def record(self, scans: Sequence[ScanInput], *, key_hash: str) -> list[ScanResult]:
        """Record scans sent with the key of that hash; returns after the commit, one result per scan.

        Raises Unauthenticated (unknown or revoked key) or Forbidden (not a scanner or admin key).
        """
        if self._closing:
            raise RuntimeError("the scan ingestor is stopping")
        self.start()
        future: asyncio.Future[list[ScanResult]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Submission(scans, key_hash, future))
        self._wake.set()
        return await future

    def _take_group(self) -> list[_Submission]:
        group: list[_Submission] = []
        size = 0
        while self._pending and (not group or size + len(self._pending[0].scans) <= self.max_group):
            submission = self._pending.pop(0)
            group.append(submission)
            size += len(submission.scans)
        return group

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                group = self._take_group()
                await self._commit(group)
                await self._gather(expected=len(group) + len(self._pending))
            if self._closing:
                return

    async def _gather(self, *, expected: int) -> None:
        """Under load, give the senders just answered a moment to send their next scans.

        SQLite has one writer: while a group commits, the next one waits, so with N busy clients groups
        alternate at about N/2. Waiting up to ``gather_s`` for the answered senders lets one flush serve all N.
        Idle or lightly loaded (a group of one or two), nothing waits.
        """
        if self.gather_s <= 0 or expected < 4 or self._closing:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.gather_s
        while len(self._pending) < expected and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return

    async def _write_racing_other_processes(
        self, transaction: Callable[[Connection], tuple[dict[int, list[ScanResult] | Exception], list[ParcelChange]]]
    ) -> tuple[dict[int, list[ScanResult] | Exception], list[ParcelChange]]:
        """Run the group's transaction; run it again when another process stored one of its event ids first.

        Two API processes may record the same event id at once (a device retrying against another server).
        The unique constraint lets one win; the other's transaction rolls back and, run again, sees the stored
        scan and answers it as a duplicate. A group holds many ids, so under contention a rerun can meet
        another id just being stored: a few reruns, a moment apart, settle it.
        """
        for attempt in range(1, INTEGRITY_RERUNS + 1):
            try:
                return await self.services.db.write(transaction)
            except IntegrityError:
                if attempt == INTEGRITY_RERUNS:
                    raise
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    async def _commit(self, group: list[_Submission]) -> None:
        def transaction(connection: Connection) -> tuple[dict[int, list[ScanResult] | Exception], list[ParcelChange]]:
            principals = key_store.principals_by_hash(connection, list({s.key_hash for s in group}))
            answers: dict[int, list[ScanResult] | Exception] = {}
            accepted: list[tuple[int, Sequence[ScanInput]]] = []
            items: list[tuple[ScanInput, int | None]] = []
            for index, submission in enumerate(group):
                principal = principals.get(submission.key_hash)
                if principal is None:
                    answers[index] = Unauthenticated("That API key is not valid (unknown or revoked).")
                elif principal.role not in SCAN_ROLES:
                    answers[index] = Forbidden("Posting scans needs a scanner or admin key.")
                else:
                    accepted.append((index, submission.scans))
                    items.extend((with_device_facility(scan, principal), principal.key_id) for scan in submission.scans)
            results, changes = record_scans_tx(
                connection, items, now=self.services.clock(), estimates=self.services.estimates
            )
            offset = 0
            for index, scans in accepted:
                answers[index] = results[offset : offset + len(scans)]
                offset += len(scans)
            return answers, changes

        try:
            answers, changes = await self._write_racing_other_processes(transaction)
        except Exception as error:  # the whole group failed: nothing was stored, every sender may retry
            for submission in group:
                if not submission.future.done():
                    submission.future.set_exception(error)
            return
        for index, submission in enumerate(group):
            if submission.future.done():
                continue
            answer = answers[index]
            if isinstance(answer, Exception):
                submission.future.set_exception(answer)
            else:
                submission.future.set_result(answer)
        try:
            await self.services.committed(changes)
        except Exception:  # live updates are best effort: the scans are committed and answered
            logger.exception("after-commit listener failed")
