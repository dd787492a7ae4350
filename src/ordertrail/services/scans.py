"""Recording scans: idempotent, order-independent, and committed in groups (group commit).

Every scan write goes through one ``ScanIngestor`` per process. Requests that arrive while a commit is in
flight are recorded together in the next transaction, so concurrent single scans share one disk flush, and a
batch from an offline handheld takes the very same path.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.changes import ParcelChange
from ordertrail.domain.derivation import Derivation, derive
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.events import Location, ScanEvent
from ordertrail.domain.keys import Principal
from ordertrail.domain.scans import Outcome, Proof, ScanInput, scan_problems
from ordertrail.domain.status import CORRECTION, Status
from ordertrail.services.context import Services
from ordertrail.services.notifications import enqueue_notifications
from ordertrail.storage import orders as order_store
from ordertrail.storage import scans as scan_store
from ordertrail.storage.orders import ParcelRecord, Projection


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The outcome of one scan, with the stored event and the parcel after the commit where there is one."""

    event_id: str
    outcome: Outcome
    event: ScanEvent | None = None
    late: bool = False
    parcel: ParcelRecord | None = None
    problems: tuple[FieldProblem, ...] = ()


@dataclass
class _ParcelWork:
    record: ParcelRecord
    events: list[ScanEvent]
    derivation: Derivation
    status_version: int
    status_changed_at: datetime
    new_events: list[ScanEvent] = field(default_factory=list)


def with_device_facility(scan: ScanInput, principal: Principal) -> ScanInput:
    """A scanner key bound to a facility records that facility, whatever the body says."""
    if principal.facility is None:
        return scan
    return replace(scan, location=replace(scan.location, facility=principal.facility))


def record_scans_tx(
    connection: Connection, items: Sequence[tuple[ScanInput, int | None]], *, now: datetime
) -> tuple[list[ScanResult], list[ParcelChange]]:
    """Record scans (each with the id of the key that sent it) in the caller's transaction."""
    event_ids = list({scan.event_id for scan, _ in items})
    known = scan_store.known_event_ids(connection, event_ids)
    numbers = list({scan.tracking_number for scan, _ in items})
    parcels = order_store.parcels_by_tracking_number(connection, numbers, for_update=True)
    events = scan_store.events_of(connection, [p.id for p in parcels.values()])
    work: dict[str, _ParcelWork] = {}
    results: list[ScanResult] = []
    changes: list[ParcelChange] = []
    seen: dict[str, tuple[str, str | None]] = {}  # event_id -> (body hash, tracking number) within this batch
    new_rows: list[scan_store.NewEvent] = []

    def parcel_work(record: ParcelRecord) -> _ParcelWork:
        if record.tracking_number not in work:
            parcel_events = events.get(record.id, [])
            work[record.tracking_number] = _ParcelWork(
                record=record,
                events=list(parcel_events),
                derivation=derive(parcel_events),
                status_version=record.status_version,
                status_changed_at=record.status_changed_at,
            )
        return work[record.tracking_number]

    for scan, key_id in items:
        earlier = known.get(scan.event_id)
        if earlier is not None or scan.event_id in seen:
            body_hash = earlier.body_hash if earlier is not None else seen[scan.event_id][0]
            if body_hash != scan.body_hash:
                results.append(ScanResult(scan.event_id, Outcome.CONFLICT))
                continue
            record = parcels.get(scan.tracking_number)
            if record is None or (earlier is not None and earlier.parcel_id is None):
                results.append(ScanResult(scan.event_id, Outcome.UNMATCHED))
                continue
            results.append(_stored(scan.event_id, parcel_work(record)))
            continue
        problems = scan_problems(scan, now=now)
        record = parcels.get(scan.tracking_number)
        if problems:
            results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=tuple(problems)))
            continue
        seen[scan.event_id] = (scan.body_hash, scan.tracking_number)
        if record is None:
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
            problem = _correction_problem(scan, parcel.events)
            if problem is not None:
                del seen[scan.event_id]
                results.append(ScanResult(scan.event_id, Outcome.INVALID, problems=(problem,)))
                continue
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
        previous = parcel.derivation
        parcel.events.append(event)
        parcel.new_events.append(event)
        parcel.derivation = derive(parcel.events)
        if (parcel.derivation.status, parcel.derivation.substatus) != (previous.status, previous.substatus):
            parcel.status_version += 1
            parcel.status_changed_at = now
        entry = next(e for e in parcel.derivation.timeline if e.event.event_id == event.event_id)
        new_rows.append(scan_store.NewEvent(record.id, event, scan.body_hash, key_id, scan.proof))
        changes.append(
            ParcelChange(
                parcel_id=record.id,
                order_id=record.order_id,
                merchant_id=record.merchant_id,
                tracking_number=record.tracking_number,
                event=event,
                effect=entry.effect,
                late=entry.late,
                previous_status=previous.status.value,
                status=parcel.derivation.status.value,
                substatus=parcel.derivation.substatus,
                status_version=parcel.status_version,
            )
        )
        results.append(ScanResult(scan.event_id, Outcome.CREATED))

    scan_store.append_events(connection, new_rows)
    projections = [_projection(p, now) for p in work.values() if p.new_events]
    order_store.save_projections(connection, projections)
    saved = {p.parcel_id: p for p in projections}
    final = {
        number: replace(
            p.record,
            status=saved[p.record.id].status,
            substatus=saved[p.record.id].substatus,
            last_sequence=saved[p.record.id].last_sequence,
            status_version=saved[p.record.id].status_version,
            status_changed_at=saved[p.record.id].status_changed_at,
            last_event_at=saved[p.record.id].last_event_at,
        )
        if p.record.id in saved
        else p.record
        for number, p in work.items()
    }
    enqueue_notifications(connection, changes, now=now)  # the outbox rows commit with the events
    return [_finish(result, work, final) for result in results], changes


def _stored(event_id: str, parcel: _ParcelWork) -> ScanResult:
    return ScanResult(event_id, Outcome.DUPLICATE, parcel=parcel.record)


def _finish(result: ScanResult, work: dict[str, _ParcelWork], final: dict[str, ParcelRecord]) -> ScanResult:
    """Attach the stored event (with its late flag) and the parcel as committed."""
    if result.outcome not in (Outcome.CREATED, Outcome.DUPLICATE):
        return result
    for number, parcel in work.items():
        for entry in parcel.derivation.timeline:
            if entry.event.event_id == result.event_id:
                return replace(result, event=entry.event, late=entry.late, parcel=final[number])
    return result


def _correction_problem(scan: ScanInput, events: Sequence[ScanEvent]) -> FieldProblem | None:
    target = next((e for e in events if e.event_id == scan.voids_event_id), None)
    if target is None:
        return FieldProblem("voids_event_id", "names no event of this parcel")
    if target.status in (CORRECTION, Status.ORDER_PLACED):
        return FieldProblem("voids_event_id", f"a {target.status} event cannot be voided")
    return None


def _projection(parcel: _ParcelWork, now: datetime) -> Projection:
    derivation = parcel.derivation
    return Projection(
        parcel_id=parcel.record.id,
        status=derivation.status.value,
        substatus=derivation.substatus,
        last_sequence=parcel.record.last_sequence + len(parcel.new_events),
        status_version=parcel.status_version,
        status_changed_at=parcel.status_changed_at,
        last_event_at=max(e.occurred_at for e in parcel.events),
        updated_at=now,
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


class ScanIngestor:
    """Group commit for scans: one writer loop per process takes everything pending into one transaction."""

    def __init__(self, services: Services, *, max_group: int = 4000) -> None:
        self.services = services
        self.max_group = max_group
        self._pending: list[tuple[list[tuple[ScanInput, int | None]], asyncio.Future[list[ScanResult]]]] = []
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

    async def record(self, scans: Sequence[ScanInput], principal: Principal) -> list[ScanResult]:
        """Record scans sent with ``principal``'s key; returns after the commit, one result per scan."""
        if self._closing:
            raise RuntimeError("the scan ingestor is stopping")
        self.start()
        items = [(with_device_facility(scan, principal), principal.key_id) for scan in scans]
        future: asyncio.Future[list[ScanResult]] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        self._wake.set()
        return await future

    def _take_group(
        self,
    ) -> list[tuple[list[tuple[ScanInput, int | None]], asyncio.Future[list[ScanResult]]]]:
        group: list[tuple[list[tuple[ScanInput, int | None]], asyncio.Future[list[ScanResult]]]] = []
        size = 0
        while self._pending and (not group or size + len(self._pending[0][0]) <= self.max_group):
            submission = self._pending.pop(0)
            group.append(submission)
            size += len(submission[0])
        return group

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._commit(self._take_group())
            if self._closing:
                return

    async def _commit(
        self, group: list[tuple[list[tuple[ScanInput, int | None]], asyncio.Future[list[ScanResult]]]]
    ) -> None:
        items = [item for submission, _ in group for item in submission]

        def transaction(connection: Connection) -> tuple[list[ScanResult], list[ParcelChange]]:
            return record_scans_tx(connection, items, now=self.services.clock())

        try:
            try:
                results, changes = await self.services.db.write(transaction)
            except IntegrityError:
                # Another process stored one of these event ids between our check and insert: run again,
                # the check now sees it.
                results, changes = await self.services.db.write(transaction)
        except Exception as error:  # the whole group failed: nothing was stored, every sender may retry
            for _, future in group:
                if not future.done():
                    future.set_exception(error)
            return
        offset = 0
        for submission, future in group:
            if not future.done():
                future.set_result(results[offset : offset + len(submission)])
            offset += len(submission)
        with contextlib.suppress(Exception):
            await self.services.committed(changes)
