"""The delivery worker's use cases: claim due outbox rows, look up what a send needs, record outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import Message, Outcome
from ordertrail.services.ports import Ports
from ordertrail.storage.notifying import endpoints as notification_store
from ordertrail.storage.notifying import outbox as outbox_store
from ordertrail.storage.notifying import preferences as preference_store


async def claim_due(
    services: Ports, *, worker: str, lease: timedelta, limit: int, channels: Sequence[str]
) -> list[Message]:
    """Lease up to ``limit`` due messages to ``worker``."""

    def transaction(connection: Connection) -> list[Message]:
        now = services.clock()
        return outbox_store.claim(
            connection, worker=worker, now=now, lease_until=now + lease, limit=limit, channels=channels
        )

    return await services.db.write(transaction)


async def next_due(services: Ports, *, channels: Sequence[str]) -> datetime | None:
    return await services.db.read(lambda c: outbox_store.next_due(c, channels=channels))


async def pending_count(services: Ports) -> int:
    """How many outbox messages wait for delivery (for the operations metrics)."""
    return await services.db.read(outbox_store.pending_count)


@dataclass(frozen=True, slots=True)
class Disable:
    """An endpoint to disable (it answered 410 Gone), holding its other pending messages as dead."""

    endpoint_id: int
    reason: str


async def record_outcomes(
    services: Ports, *, worker: str, outcomes: Sequence[Outcome], disable: Sequence[Disable] = ()
) -> int:
    """Record outcomes of ``worker``'s claims in one transaction; returns how many it still held."""

    def transaction(connection: Connection) -> int:
        now = services.clock()
        done = outbox_store.finish(connection, worker=worker, outcomes=outcomes, now=now)
        for item in disable:
            notification_store.update_endpoint(
                connection, item.endpoint_id, disabled_at=now, disabled_reason=item.reason[:200]
            )
            outbox_store.kill_endpoint_messages(connection, endpoint_id=item.endpoint_id, reason=item.reason, now=now)
        return done

    return await services.db.write(transaction)


async def release(services: Ports, *, worker: str, ids: Sequence[int]) -> None:
    await services.db.write(lambda c: outbox_store.release(c, worker=worker, ids=ids))


async def endpoint_for(services: Ports, *, endpoint_id: int) -> tuple[Endpoint | None, bool]:
    """The endpoint a message goes to, and whether it still takes messages (not deleted or disabled)."""

    def read(connection: Connection) -> tuple[Endpoint | None, bool]:
        return (
            notification_store.endpoint_by_id(connection, endpoint_id),
            notification_store.endpoint_is_live(connection, endpoint_id),
        )

    return await services.db.read(read)


async def is_unsubscribed(services: Ports, *, merchant_id: int, email: str) -> bool:
    return await services.db.read(lambda c: preference_store.is_unsubscribed(c, merchant_id=merchant_id, email=email))
