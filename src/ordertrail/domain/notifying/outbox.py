"""The outbox's vocabulary: messages to send, their states, delivery attempts and what became of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PENDING = "pending"


DELIVERED = "delivered"


DEAD = "dead"


SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An outbox row to write."""

    message_id: str
    channel: str
    event_type: str
    merchant_id: int
    payload: str
    endpoint_id: int | None = None
    recipient: str | None = None
    ordering_key: str | None = None  # see ordering_key(): delivered after every earlier row of the same key


def ordering_key(*, order_id: int, parcel_id: int | None = None, endpoint_id: int | None = None) -> str:
    """The queue a message waits in: a recipient hears about one parcel in the order of the events.

    A webhook endpoint's queue is per parcel. The customer's emails queue per order: the confirmation lists
    every parcel of the order and a delay email speaks for the order, so a notice about any parcel of it must
    not overtake them. The worker takes a message only when no earlier one of its key is still pending (sent,
    skipped or given up as dead all release it).
    """
    if endpoint_id is not None:
        assert parcel_id is not None
        return f"webhook:{endpoint_id}:parcel:{parcel_id}"
    return f"email:order:{order_id}"


@dataclass(frozen=True, slots=True)
class Message:
    """A claimed outbox row."""

    id: int
    message_id: str
    channel: str
    event_type: str
    merchant_id: int
    endpoint_id: int | None
    recipient: str | None
    payload: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt, as logged."""

    outbox_id: int
    endpoint_id: int | None
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    response_body: str | None
    error: str | None
    succeeded: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row after an attempt (or without one: ``attempt`` None)."""

    outbox_id: int
    state: str  # PENDING (retry at next_attempt_at), DELIVERED, DEAD or SKIPPED
    attempt: Attempt | None
    next_attempt_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LoggedAttempt:
    """A row of an endpoint's delivery log: the attempt, and the message it was for."""

    id: int
    message_id: str
    event_type: str
    message_state: str
    attempt: Attempt
    # When the message will be tried again (only while it is pending): the log answers "what happens next?".
    next_attempt_at: datetime | None = None
