"""Internal notes on a parcel: what staff (or a merchant's system) write down for each other, never for customers.

A note is written once and never edited; the note and its audit entry are one transaction. A retry with the same
``Idempotency-Key`` from the same author returns the note it wrote (same text) or is a conflict (other text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ordertrail.domain import inputs
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.staff.audit import ActorKind

MAX_MESSAGE: Final = 4000
MAX_IDEMPOTENCY_KEY: Final = 200


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    parcel_id: int
    at: datetime
    author_kind: ActorKind
    author_id: int | None
    author: str  # the staff email or key name, as it was then
    message: str

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "author": {"kind": self.author_kind.value, "id": self.author_id, "name": self.author},
            "message": self.message,
        }


def note_message(raw: str) -> str:
    """The message as kept: trimmed, with its line breaks. Raises InvalidInput naming ``message``."""
    text = raw.strip().replace("\r\n", "\n")
    if not text:
        raise InvalidInput("Write the note first: it is empty.", field="message")
    problem = inputs.text_problem(text, multiline=True)
    if problem is not None:
        raise InvalidInput(f"The note {problem}.", field="message")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(f"A note has at most {MAX_MESSAGE} characters ({len(text)} given).", field="message")
    return text


def idempotency_key(raw: str | None) -> str | None:
    """The header's key, or None without one. Raises InvalidInput naming ``Idempotency-Key``."""
    if raw is None:
        return None
    # Printable ASCII, as a header value carries it: a key that cannot be shown back is a client's bug.
    if not 0 < len(raw) <= MAX_IDEMPOTENCY_KEY or not all(" " < c <= "~" for c in raw):
        raise InvalidInput(
            f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters without spaces.",
            field="Idempotency-Key",
        )
    return raw


def body_hash(tracking_number: str, message: str) -> str:
    """What a retry must repeat to be the same request."""
    return hashlib.sha256(f"{tracking_number}\n{message}".encode()).hexdigest()
