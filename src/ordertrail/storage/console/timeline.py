"""What a parcel's timeline reads besides its events and estimates: its outbox rows with their delivery attempts,
and the audit entries that name it.

The outbox has no parcel column; a parcel's rows are found by their ordering keys (domain/notifying/outbox.py):
one key per webhook endpoint of its merchant (deleted endpoints too: their messages stay in the log), and its
order's email key. ``ix_outbox_ordering_key_id`` (migration 0012) serves each key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, select

from ordertrail.domain.console.timeline import MessageItem
from ordertrail.domain.notifying.outbox import Attempt
from ordertrail.domain.staff.audit import AuditEntry
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff.audit import AuditQuery
from ordertrail.storage.tables import delivery_attempt, outbox, webhook_endpoint

# A timeline is read whole; these bound what one page can cost on a parcel that went badly wrong (an endpoint
# retried for days, a loop of staff actions). The newest rows are the ones kept.
MAX_MESSAGES = 500
MAX_ACTIONS = 500


def endpoint_ids_of(connection: Connection, merchant_id: int) -> list[int]:
    """Every webhook endpoint the merchant ever had."""
    query = select(webhook_endpoint.c.id).where(webhook_endpoint.c.merchant_id == merchant_id)
    return list(connection.execute(query).scalars())


def messages_by_key(connection: Connection, ordering_keys: Sequence[str]) -> list[MessageItem]:
    """The outbox rows of those keys, oldest first, each with its delivery attempts in order."""
    if not ordering_keys:
        return []
    rows = list(
        connection.execute(
            select(outbox)
            .where(outbox.c.ordering_key.in_(list(ordering_keys)))
            .order_by(outbox.c.id.desc())
            .limit(MAX_MESSAGES)
        )
    )
    rows.reverse()
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    if rows:
        found = connection.execute(
            select(delivery_attempt)
            .where(delivery_attempt.c.outbox_id.in_([r.id for r in rows]))
            .order_by(delivery_attempt.c.id)
        )
        for a in found:
            attempts[a.outbox_id].append(
                Attempt(
                    outbox_id=a.outbox_id,
                    endpoint_id=a.endpoint_id,
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    duration_ms=a.duration_ms,
                    response_body=a.response_body,
                    error=a.error,
                    succeeded=a.succeeded,
                )
            )
    return [
        MessageItem(
            id=r.id,
            message_id=r.message_id,
            channel=r.channel,
            event_type=r.event_type,
            state=r.state,
            recipient=r.recipient,
            endpoint_id=r.endpoint_id,
            created_at=r.created_at,
            finished_at=r.finished_at,
            last_error=r.last_error,
            attempts=tuple(attempts[r.id]),
            payload=r.payload,
        )
        for r in rows
    ]


def actions_on(connection: Connection, tracking_number: str) -> list[AuditEntry]:
    """The audit entries naming the parcel, oldest first (``ix_audit_log_tracking_number``)."""
    newest = audit_store.entries(
        connection, AuditQuery(tracking_number=tracking_number), before_id=None, limit=MAX_ACTIONS
    )
    return newest[::-1]
