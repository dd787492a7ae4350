"""Marking a parcel's exception handled, with what was done: the exceptions queue then leaves the parcel out.

A handling belongs to one exception: the parcel's ``status_version`` when it was marked (bumped whenever the status
or substatus changes). A later exception is a new one and brings the parcel back into the queue; the earlier
handling stays on the timeline. An exception is handled once: a retry with the same words answers with the
handling it made; other words are a conflict (someone else got there first).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ordertrail.domain import inputs
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.staff.audit import ActorKind

MAX_WHAT: Final = 1000


@dataclass(frozen=True, slots=True)
class Handling:
    id: int
    parcel_id: int
    status_version: int  # which exception: the parcel's status version when it was marked
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor: str  # the staff email or key name, as it was then
    what_was_done: str

    def document(self, tracking_number: str) -> dict[str, Any]:
        return {
            "tracking_number": tracking_number,
            "handled_at": self.at.isoformat(),
            "handled_by": {"kind": self.actor_kind.value, "id": self.actor_id, "name": self.actor},
            "what_was_done": self.what_was_done,
        }


def what_was_done(raw: str) -> str:
    """The text as kept: trimmed, with its line breaks. Raises InvalidInput naming ``what_was_done``."""
    text = raw.strip().replace("\r\n", "\n")
    if not text:
        raise InvalidInput("Say what was done about the exception: it is empty.", field="what_was_done")
    problem = inputs.text_problem(text, multiline=True)
    if problem is not None:
        raise InvalidInput(f"What was done {problem}.", field="what_was_done")
    if len(text) > MAX_WHAT:
        raise InvalidInput(
            f"What was done has at most {MAX_WHAT} characters ({len(text)} given).", field="what_was_done"
        )
    return text


def body_hash(tracking_number: str, text: str) -> str:
    """What a retry under the same Idempotency-Key must repeat to be the same request."""
    return hashlib.sha256(f"handled\n{tracking_number}\n{text}".encode()).hexdigest()
