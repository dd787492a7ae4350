"""A parcel's one timeline: its scans, estimate revisions, emails and webhooks (with every delivery attempt),
staff actions and notes, merged in time order.

Each kind keeps its own order (scans their replay order, the rest their ids); ``merged`` interleaves them by
instant, and at the same instant puts the cause before what followed from it (a scan, then its estimate, then its
notifications). A scan stands at the time it happened, so a late one sits among the scans it happened between,
marked late with the time it arrived.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ordertrail.domain.console.notes import Note
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.domain.notifying.outbox import Attempt
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.domain.staff.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class ScanItem:
    event: ScanEvent
    effect: Effect
    late: bool
    courier: str | None = None  # the courier's code when a courier sent the event (docs/couriers.md)
    before_dispatch: bool = False  # a courier event dated before the parcel's dispatch scan
    manual: bool = False  # recorded by hand by a person (or a key), not scanned by a device

    @property
    def at(self) -> datetime:
        return self.event.occurred_at

    def document(self, *, contact: bool) -> dict[str, Any]:
        e = self.event
        return {
            "kind": "scan",
            "at": e.occurred_at.isoformat(),
            "event_id": e.event_id,
            "status": str(e.status),
            "substatus": e.substatus,
            "reason": e.reason,
            "note": e.note,
            "recorded_at": e.recorded_at.isoformat(),
            "location": {
                "facility": e.location.facility,
                "city": e.location.city,
                "region": e.location.region,
                "country": e.location.country,
            },
            "effect": self.effect.value,
            "late": self.late,
            "voided": self.effect is Effect.VOIDED,
            "voids_event_id": e.voids_event_id,
            "courier": self.courier,
            "before_dispatch": self.before_dispatch,
            "manual": self.manual,
        }


@dataclass(frozen=True, slots=True)
class EstimateItem:
    revision: Revision

    @property
    def at(self) -> datetime:
        return self.revision.created_at

    def document(self, *, contact: bool) -> dict[str, Any]:
        r = self.revision
        return {
            "kind": "estimate",
            "at": r.created_at.isoformat(),
            "earliest": r.earliest.isoformat(),
            "latest": r.latest.isoformat(),
            "likely": r.likely.isoformat(),
            "confidence": r.confidence,
            "basis": r.basis,
            "reason": r.reason,
            "delayed": r.delayed,
        }


@dataclass(frozen=True, slots=True)
class MessageItem:
    """An outbox row (an email to the customer, or a webhook to one of the merchant's endpoints) and its attempts."""

    id: int
    message_id: str
    channel: str  # email | webhook
    event_type: str
    state: str  # pending | delivered | dead | skipped
    recipient: str | None
    endpoint_id: int | None
    created_at: datetime
    finished_at: datetime | None
    last_error: str | None
    attempts: tuple[Attempt, ...] = ()
    payload: str = ""  # the webhook body or the email's template context: read to tell which parcel it is about

    @property
    def at(self) -> datetime:
        return self.created_at

    def document(self, *, contact: bool) -> dict[str, Any]:
        return {
            "kind": self.channel,
            "at": self.created_at.isoformat(),
            "message_id": self.message_id,
            "event_type": self.event_type,
            "state": self.state,
            # The recipient is the customer's email address: contact, shown only to those who may see it.
            "recipient": self.recipient if contact else None,
            "endpoint_id": self.endpoint_id,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "last_error": self.last_error,
            "attempts": [
                {
                    "attempted_at": a.attempted_at.isoformat(),
                    "status_code": a.status_code,
                    "duration_ms": a.duration_ms,
                    "succeeded": a.succeeded,
                    "error": a.error,
                }
                for a in self.attempts
            ],
        }


@dataclass(frozen=True, slots=True)
class ActionItem:
    """A staff or key action on the parcel, from the audit log."""

    entry: AuditEntry

    @property
    def at(self) -> datetime:
        return self.entry.at

    def document(self, *, contact: bool) -> dict[str, Any]:
        e = self.entry
        return {
            "kind": "action",
            "at": e.at.isoformat(),
            "action": e.action,
            "actor": {"kind": e.actor_kind.value, "id": e.actor_id, "name": e.actor},
            "detail": e.detail,
        }


@dataclass(frozen=True, slots=True)
class NoteItem:
    note: Note

    @property
    def at(self) -> datetime:
        return self.note.at

    def document(self, *, contact: bool) -> dict[str, Any]:
        return {"kind": "note", **self.note.document()}


Item = ScanItem | EstimateItem | MessageItem | ActionItem | NoteItem

# At one instant: the cause before its consequences.
_RANK: Final[dict[type, int]] = {ScanItem: 0, EstimateItem: 1, MessageItem: 2, ActionItem: 3, NoteItem: 4}


def merged(*kinds: Iterable[Item]) -> tuple[Item, ...]:
    """Every item in time order; a stable sort, so each kind keeps its own order among equal instants."""
    items = [item for kind in kinds for item in kind]
    return tuple(sorted(items, key=lambda item: (item.at, _RANK[type(item)])))


def mentions(payload: str, tracking_number: str) -> bool:
    """Whether an email's template context (outbox payload) is about the parcel: an order's emails queue per
    order, and only those naming the parcel belong on its timeline (the confirmation names every parcel)."""
    try:
        context = json.loads(payload)
    except ValueError:
        return False
    if not isinstance(context, dict):
        return False
    named = context.get("tracking_numbers") or [context.get("tracking_number")]
    return isinstance(named, list) and tracking_number in named
