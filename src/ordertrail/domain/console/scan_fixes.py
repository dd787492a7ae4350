"""Staff fixing a parcel's scans: voiding a wrong one (a ``correction`` event naming it, the path a device's
correction takes) and recording a missing one by hand (an ordinary event, flagged manual).

Both are events of the scan transaction, so a retry is told from a new request the way a device's retry is: the
event id is derived from the actor and the Idempotency-Key, and the body hash from what was asked. The same key
and request again is a duplicate (nothing new); the same key with another request is a conflicting reuse.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Final

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.orders.cancelling import reason_problem
from ordertrail.domain.staff.audit import Actor

_NAMESPACE: Final = uuid.UUID("6f1d3c2a-9b7e-4e51-a0c4-2f8d5b6e7a90")
FACILITY_MAX: Final = 200


def event_id(actor: Actor, idempotency_key: str | None) -> str:
    """The event's id: derived from who asks and their key (a retry names the same event), else a new one."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_NAMESPACE, f"{actor.kind.value}:{actor.id}:{actor.name}:{idempotency_key}"))


def why(raw: str) -> str:
    """The reason as kept (trimmed). Raises InvalidInput naming ``reason``: a fix says why, not only who."""
    problem = reason_problem(raw)
    if problem is not None:
        raise InvalidInput(f"The reason is not usable: {problem}.", field="reason")
    return raw.strip()


def facility(raw: str | None) -> str | None:
    """The facility as kept (trimmed; empty is none). Raises InvalidInput naming ``facility``."""
    text = (raw or "").strip()
    if len(text) > FACILITY_MAX:
        raise InvalidInput(f"The facility has at most {FACILITY_MAX} characters.", field="facility")
    return text or None


def void_hash(tracking_number: str, voids_event_id: str, reason: str) -> str:
    return hashlib.sha256(f"void\n{tracking_number}\n{voids_event_id}\n{reason}".encode()).hexdigest()


def manual_hash(
    tracking_number: str, status: str, reason: str | None, place: str | None, occurred_at: datetime, note: str
) -> str:
    text = f"manual\n{tracking_number}\n{status}\n{reason or ''}\n{place or ''}\n{occurred_at.isoformat()}\n{note}"
    return hashlib.sha256(text.encode()).hexdigest()
