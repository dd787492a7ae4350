"""The outbox: notification rows written with the events that cause them, claimed by workers under a lease.

Claims are portable: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL lets many workers take disjoint rows;
SQLite ignores the clause, and its single writer (``BEGIN IMMEDIATE``) serialises claims instead. A claim sets
``claimed_by`` and ``lease_until``; a worker that dies loses its rows when the lease runs out, and every
update after the send is fenced on ``claimed_by`` so a worker whose lease lapsed cannot overwrite a newer claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, and_, bindparam, exists, func, insert, or_, select, update

from ordertrail.domain.notifying.outbox import DEAD, PENDING, Attempt, LoggedAttempt, Message, NewMessage, Outcome
from ordertrail.storage.tables import delivery_attempt, outbox


def add_messages(connection: Connection, messages: Sequence[NewMessage], *, now: datetime) -> None:
    if not messages:
        return
    connection.execute(
        insert(outbox),
        [
            {
                "message_id": m.message_id,
                "channel": m.channel,
                "event_type": m.event_type,
                "merchant_id": m.merchant_id,
                "endpoint_id": m.endpoint_id,
                "recipient": m.recipient,
                "payload": m.payload,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "ordering_key": m.ordering_key,
            }
            for m in messages
        ],
    )


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        message_id=row.message_id,
        channel=row.channel,
        event_type=row.event_type,
        merchant_id=row.merchant_id,
        endpoint_id=row.endpoint_id,
        recipient=row.recipient,
        payload=row.payload,
        attempts=row.attempts,
        created_at=row.created_at,
    )


_earlier = outbox.alias("earlier")
# A row waits while an earlier row of its ordering key is still pending (in flight, or waiting for a retry):
# so the head of each key goes out alone, and the next only once it was delivered, skipped or given up.
_AT_HEAD = ~exists(
    select(_earlier.c.id).where(
        _earlier.c.ordering_key == outbox.c.ordering_key,
        _earlier.c.state == PENDING,
        _earlier.c.id < outbox.c.id,
    )
)


def claim(
    connection: Connection, *, worker: str, now: datetime, lease_until: datetime, limit: int, channels: Sequence[str]
) -> list[Message]:
    """Take up to ``limit`` due rows (unclaimed, or whose lease ran out) for ``worker``, each at the head of its
    ordering key."""
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.state == PENDING,
            outbox.c.next_attempt_at <= now,
            outbox.c.channel.in_(channels),
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            or_(outbox.c.ordering_key.is_(None), _AT_HEAD),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(connection.execute(due).scalars())
    if not ids:
        return []
    connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(claimed_by=worker, lease_until=lease_until))
    rows = connection.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
    return [_message(row) for row in rows]


# Built once: the worker records every outcome with it (building an UPDATE per outcome showed in profiles).
# Columns an outcome does not set keep their value: attempts grow by 0 or 1, and the error and next attempt
# are only replaced when given.
_FINISH = (
    update(outbox)
    .where(outbox.c.id == bindparam("b_id"), outbox.c.claimed_by == bindparam("b_worker"), outbox.c.state == PENDING)
    .values(
        state=bindparam("b_state"),
        claimed_by=None,
        lease_until=None,
        attempts=outbox.c.attempts + bindparam("b_attempted", type_=Integer),
        last_error=func.coalesce(bindparam("b_error", type_=outbox.c.last_error.type), outbox.c.last_error),
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=outbox.c.next_attempt_at.type), outbox.c.next_attempt_at
        ),
        finished_at=bindparam("b_finished", type_=outbox.c.finished_at.type),
    )
)


def finish(connection: Connection, *, worker: str, outcomes: Sequence[Outcome], now: datetime) -> int:
    """Record outcomes of ``worker``'s claims; rows it no longer holds are left alone. Returns rows updated."""
    updated = 0
    for outcome in outcomes:
        pending = outcome.state == PENDING
        assert not pending or outcome.next_attempt_at is not None
        parameters = {
            "b_id": outcome.outbox_id,
            "b_worker": worker,
            "b_state": outcome.state,
            "b_attempted": 0 if outcome.attempt is None else 1,
            "b_error": None if outcome.error is None else outcome.error[:500],
            "b_next": outcome.next_attempt_at if pending else None,
            "b_finished": None if pending else now,
        }
        if connection.execute(_FINISH, parameters).rowcount == 1:
            updated += 1
            if outcome.attempt is not None:
                log_attempt(connection, outcome.attempt)
    return updated


def log_attempt(connection: Connection, attempt: Attempt) -> None:
    connection.execute(
        insert(delivery_attempt).values(
            outbox_id=attempt.outbox_id,
            endpoint_id=attempt.endpoint_id,
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            response_body=attempt.response_body[:1000] if attempt.response_body is not None else None,
            error=attempt.error[:500] if attempt.error is not None else None,
            succeeded=attempt.succeeded,
        )
    )


def release(connection: Connection, *, worker: str, ids: Sequence[int]) -> None:
    """Give claimed rows back at once (graceful shutdown), rather than waiting for their lease to run out."""
    if ids:
        connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.claimed_by == worker, outbox.c.state == PENDING)
            .values(claimed_by=None, lease_until=None)
        )


def next_due(connection: Connection, *, channels: Sequence[str]) -> datetime | None:
    """When the earliest pending row that could be claimed falls due (ignoring leases; a row held back by an
    earlier one of its key is not due: the earlier one's outcome wakes the worker)."""
    value: datetime | None = connection.execute(
        select(func.min(outbox.c.next_attempt_at)).where(
            outbox.c.state == PENDING,
            outbox.c.channel.in_(channels),
            or_(outbox.c.ordering_key.is_(None), _AT_HEAD),
        )
    ).scalar_one()
    return value


def pending_count(connection: Connection) -> int:
    """How many messages wait for delivery (in flight or due later): one range of the state index."""
    return int(connection.execute(select(func.count()).where(outbox.c.state == PENDING)).scalar_one())


def kill_endpoint_messages(connection: Connection, *, endpoint_id: int, reason: str, now: datetime) -> None:
    """Hold every pending message of an endpoint as dead (it was disabled or deleted); replay can revive them."""
    connection.execute(
        update(outbox)
        .where(outbox.c.endpoint_id == endpoint_id, outbox.c.state == PENDING)
        .values(state=DEAD, last_error=reason, finished_at=now, claimed_by=None, lease_until=None)
    )


def replay_dead(connection: Connection, *, endpoint_id: int, message_ids: Sequence[str] | None, now: datetime) -> int:
    """Make an endpoint's dead messages (all, or those named) due again with a fresh schedule."""
    condition = and_(outbox.c.endpoint_id == endpoint_id, outbox.c.state == DEAD)
    if message_ids is not None:
        condition = and_(condition, outbox.c.message_id.in_(message_ids))
    result = connection.execute(
        update(outbox)
        .where(condition)
        .values(state=PENDING, attempts=0, next_attempt_at=now, finished_at=None, claimed_by=None, lease_until=None)
    )
    return int(result.rowcount)


def attempts_of_endpoint(
    connection: Connection, *, endpoint_id: int, before_id: int | None, limit: int
) -> list[LoggedAttempt]:
    """An endpoint's delivery log, newest first."""
    query = (
        select(delivery_attempt, outbox.c.message_id, outbox.c.event_type, outbox.c.state, outbox.c.next_attempt_at)
        .join(outbox, outbox.c.id == delivery_attempt.c.outbox_id)
        .where(delivery_attempt.c.endpoint_id == endpoint_id)
        .order_by(delivery_attempt.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(delivery_attempt.c.id < before_id)
    return [
        LoggedAttempt(
            id=r.id,
            message_id=r.message_id,
            event_type=r.event_type,
            message_state=r.state,
            attempt=Attempt(
                outbox_id=r.outbox_id,
                endpoint_id=r.endpoint_id,
                attempted_at=r.attempted_at,
                status_code=r.status_code,
                duration_ms=r.duration_ms,
                response_body=r.response_body,
                error=r.error,
                succeeded=r.succeeded,
            ),
            next_attempt_at=r.next_attempt_at if r.state == PENDING else None,
        )
        for r in connection.execute(query)
    ]


def counts_by_state(connection: Connection, *, endpoint_id: int | None = None) -> dict[str, int]:
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    if endpoint_id is not None:
        query = query.where(outbox.c.endpoint_id == endpoint_id)
    return {state: int(n) for state, n in connection.execute(query)}
