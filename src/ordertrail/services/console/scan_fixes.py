"""Staff fixing a parcel's scans: voiding a wrong scan and recording a missing one by hand.

Both go through the scan transaction (``record_scans_tx``) as a device's scan or correction does, so the parcel's
status, the tracking page and its stream, the webhooks and the customer's emails follow exactly as for a device.
A void is a ``correction`` event naming the scan (``voids_event_id``, the device's path); a manual scan is an
ordinary event without a device key (so it counts as no device's activity), flagged in ``manual_scan``. Each is
audited in the same transaction, so it shows on the parcel's timeline. Who may: the cancel permission ("cancel,
void, correct": operations, merchant, admin; not support or viewers), and merchant and admin keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.console import scan_fixes
from ordertrail.domain.errors import AlreadyVoided, Forbidden, IdempotencyKeyConflict, InvalidInput
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.scans import Outcome, ScanInput, scan_problems
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.console.detail import canonical_number, visible_parcel
from ordertrail.services.console.readers import Reader
from ordertrail.services.context import Services
from ordertrail.services.scanning.record import ScanResult, record_scans_tx
from ordertrail.storage.console import manual_scans as manual_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store
from ordertrail.storage.staff import audit as audit_store


@dataclass(frozen=True, slots=True)
class Fixed:
    """The event a fix recorded (or, for a retry, recorded the first time), and the parcel's status now."""

    tracking_number: str
    event: ScanEvent
    status: str
    manual: bool
    replayed: bool

    def document(self) -> dict[str, object]:
        e = self.event
        return {
            "tracking_number": self.tracking_number,
            "event_id": e.event_id,
            "status": str(e.status),
            "reason": e.reason,
            "occurred_at": e.occurred_at.isoformat(),
            "facility": e.location.facility,
            "voids_event_id": e.voids_event_id,
            "manual": self.manual,
            "parcel_status": self.status,
        }


def _require(reader: Reader) -> None:
    if not reader.may(Permission.CANCEL):
        raise Forbidden("Voiding and recording scans needs the cancel permission (operations, merchant or admin).")


async def void_scan(
    services: Services,
    reader: Reader,
    *,
    tracking_number: str,
    event_id: str,
    reason: str,
    idempotency_key: str | None,
) -> Fixed:
    """Void the parcel's scan ``event_id`` with a correction event. Raises Forbidden, ParcelNotFound, InvalidInput
    (``reason``; ``event_id`` naming no voidable scan of the parcel), AlreadyVoided, IdempotencyKeyConflict."""
    _require(reader)
    number = canonical_number(tracking_number)
    text = scan_fixes.why(reason)
    new_id = scan_fixes.event_id(reader.actor, idempotency_key)

    def transaction(connection: Connection) -> tuple[Fixed, list[ParcelChange]]:
        parcel = _locked(connection, reader, number)
        stored = scan_store.events_of(connection, [parcel.id]).get(parcel.id, [])
        if not any(e.event_id == new_id for e in stored):  # a retry finds its own correction voiding it
            target = next((t for t in derive(stored).timeline if t.event.event_id == event_id), None)
            if target is not None and target.effect is Effect.VOIDED:
                raise AlreadyVoided(f"Scan {event_id} was voided already.", field="event_id")
        now = services.clock()
        scan = ScanInput(
            event_id=new_id,
            tracking_number=number,
            status=CORRECTION,
            occurred_at=now,
            body_hash=scan_fixes.void_hash(number, event_id, text),
            note=text,
            voids_event_id=event_id,
        )
        return _record(connection, services, reader, scan, now=now, manual=False, action=Action.SCAN_VOIDED)

    return await _run(services, transaction)


async def record_manual_scan(
    services: Services,
    reader: Reader,
    *,
    tracking_number: str,
    status: str,
    reason: str | None,
    facility: str | None,
    occurred_at: datetime,
    note: str,
    idempotency_key: str | None,
) -> Fixed:
    """Record a missing scan by hand. Raises Forbidden, ParcelNotFound, InvalidInput (``status``, ``reason``,
    ``facility``, ``occurred_at``, ``note``: the rules a device's scan follows), IdempotencyKeyConflict."""
    _require(reader)
    number = canonical_number(tracking_number)
    text = scan_fixes.why(note)
    place = scan_fixes.facility(facility)
    try:
        kind = Status(status)
    except ValueError:
        raise InvalidInput(
            "A manual scan's status is one of the scan statuses (a void is its own action).", field="status"
        ) from None
    code = (reason or "").strip() or None
    new_id = scan_fixes.event_id(reader.actor, idempotency_key)
    now = services.clock()
    scan = ScanInput(
        event_id=new_id,
        tracking_number=number,
        status=kind,
        occurred_at=occurred_at,
        body_hash=scan_fixes.manual_hash(number, kind.value, code, place, occurred_at, text),
        location=Location(facility=place),
        note=text,
        reason=code,
    )
    problems = scan_problems(scan, now=now)
    if problems:
        raise InvalidInput("The scan is not valid.", problems=problems)

    def transaction(connection: Connection) -> tuple[Fixed, list[ParcelChange]]:
        _locked(connection, reader, number)
        return _record(connection, services, reader, scan, now=now, manual=True, action=Action.SCAN_RECORDED)

    return await _run(services, transaction)


def _locked(connection: Connection, reader: Reader, number: str) -> Parcel:
    visible_parcel(connection, reader, number)
    return parcel_store.parcels_by_tracking_number(connection, [number], for_update=True)[number]


def _record(
    connection: Connection,
    services: Services,
    reader: Reader,
    scan: ScanInput,
    *,
    now: datetime,
    manual: bool,
    action: Action,
) -> tuple[Fixed, list[ParcelChange]]:
    # No device key: a person's fix is nobody's device activity (a merchant key's too: it names the actor here).
    (result,), changes = record_scans_tx(connection, [(scan, None)], now=now, estimates=services.estimates)
    if result.outcome is Outcome.CONFLICT:
        raise IdempotencyKeyConflict(field="Idempotency-Key")
    if result.outcome is Outcome.INVALID:
        raise InvalidInput("The scan cannot be recorded on this parcel.", problems=result.problems)
    assert result.event is not None and result.parcel is not None, result
    if result.outcome is Outcome.CREATED:
        if manual:
            manual_store.add(connection, event_id=scan.event_id, actor=reader.actor, at=now)
        _audit(connection, reader, result, action, now=now)
    fixed = Fixed(
        tracking_number=scan.tracking_number,
        event=result.event,
        status=result.parcel.state.status.value,
        manual=manual,
        replayed=result.outcome is Outcome.DUPLICATE,
    )
    return fixed, changes


def _audit(connection: Connection, reader: Reader, result: ScanResult, action: Action, *, now: datetime) -> None:
    assert result.event is not None and result.parcel is not None
    e, parcel = result.event, result.parcel
    detail: dict[str, object] = {"event_id": e.event_id, "reason": e.note, "previous_status": result.previous_status}
    if e.voids_event_id:
        detail["voids_event_id"] = e.voids_event_id
    else:
        detail |= {"status": str(e.status), "reason_code": e.reason, "facility": e.location.facility}
        detail["occurred_at"] = e.occurred_at.isoformat()
    audit_store.append(
        connection,
        actor=reader.actor,
        action=action,
        at=now,
        merchant_id=parcel.merchant_id,
        order_number=parcel.order_number,
        tracking_number=parcel.tracking_number,
        detail=detail,
    )


async def _run(services: Services, transaction: Callable[[Connection], tuple[Fixed, list[ParcelChange]]]) -> Fixed:
    fixed, changes = await services.db.write(transaction)
    await services.committed(changes)  # the bus, the delivery worker's wake-up: as after any scan
    return fixed
