"""A scan as a device sends it, the rules it must follow, and what recording it did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordertrail.domain import inputs
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.scanning.events import NOWHERE, Location, ScanEvent
from ordertrail.domain.scanning.status import (
    CORRECTION,
    REASON_REQUIRED,
    SUBSTATUSES,
    EventStatus,
    Status,
    reasons_for,
)


@dataclass(frozen=True, slots=True)
class Proof:
    """Proof of delivery. Private: shown to the merchant and admins, never on public pages."""

    recipient_name: str | None = None
    signature_png: bytes | None = None
    photo_jpeg: bytes | None = None


@dataclass(frozen=True, slots=True)
class Carrier:
    """The courier a ``dispatched`` scan hands the parcel to, checked by the couriers room's rules
    (``domain/couriers/handover.py``); recorded as the parcel's handover in the scan's transaction."""

    courier: str
    tracking_number: str  # the courier's, normalized
    service_level: str | None = None
    tracking_url: str | None = None
    courier_name: str | None = None
    recognised: bool = False


@dataclass(frozen=True, slots=True)
class ScanInput:
    """One scan, validated for shape, with the hash of its body to tell a retry from a conflicting reuse."""

    event_id: str
    tracking_number: str
    status: EventStatus
    occurred_at: datetime
    body_hash: str
    substatus: str | None = None
    location: Location = NOWHERE
    note: str | None = None
    reason: str | None = None
    voids_event_id: str | None = None
    proof: Proof | None = None
    carrier: Carrier | None = None  # only on a dispatched scan: the handover it records


class Outcome(StrEnum):
    """What happened to one scan."""

    CREATED = "created"
    DUPLICATE = "duplicate"  # the same event_id and body were stored before: nothing new
    CONFLICT = "conflict"  # the event_id was used before for a different body
    UNMATCHED = "unmatched"  # no parcel has that number (yet): kept, attaches later
    INVALID = "invalid"  # breaks a rule; nothing stored


def scan_problems(scan: ScanInput, *, now: datetime) -> list[FieldProblem]:
    """The rules a scan breaks (empty when it is acceptable)."""
    problems: list[FieldProblem] = []
    when = inputs.instant_problem(scan.occurred_at, now=now)
    if when is not None:
        problems.append(FieldProblem("occurred_at", when))
    if scan.status == CORRECTION:
        if not scan.voids_event_id:
            problems.append(FieldProblem("voids_event_id", "is required for a correction"))
        return problems
    if scan.voids_event_id:
        problems.append(FieldProblem("voids_event_id", "is only allowed when status is 'correction'"))
    status = Status(scan.status)
    if status is Status.ORDER_PLACED:
        problems.append(FieldProblem("status", "order_placed is recorded when the order is placed, not scanned"))
    allowed = reasons_for(status)
    if status in REASON_REQUIRED and not scan.reason:
        problems.append(FieldProblem("reason", f"is required for {status.value}: one of {', '.join(sorted(allowed))}"))
    elif scan.reason and allowed and scan.reason not in allowed:
        problems.append(FieldProblem("reason", f"must be one of {', '.join(sorted(allowed))}"))
    if scan.substatus and not scan.substatus.startswith(status.value + "."):
        problems.append(FieldProblem("substatus", f"must start with '{status.value}.'"))
    elif scan.substatus and scan.substatus not in SUBSTATUSES.get(status, ()):
        known = ", ".join(sorted(SUBSTATUSES.get(status, ()))) or "none"
        problems.append(FieldProblem("substatus", f"is not a known substatus of {status.value}: one of {known}"))
    return problems


def before_order_problems(scan: ScanInput, *, placed_at: datetime) -> list[FieldProblem]:
    """The rule a scan breaks against its parcel's order: dated more than a day before the order was placed."""
    reason = inputs.before_order_problem(scan.occurred_at, placed_at)
    return [] if reason is None else [FieldProblem("occurred_at", reason)]


@dataclass(frozen=True, slots=True)
class KeptScan:
    """A kept scan whose number no parcel has (yet)."""

    event_id: str
    tracking_number: str
    payload: str
    api_key_id: int | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended."""

    parcel_id: int
    event: ScanEvent
    body_hash: str
    api_key_id: int | None
    proof: Proof | None = None
