"""The outbox's ordering keys on the real store (SQLite, or PostgreSQL with ORDERTRAIL_TEST_DATABASE_URL).

A message is claimable only at the head of its key; it waits while the one before it is in flight or waiting
for a retry, and becomes claimable once that one is delivered, skipped or dead. A waiting message is not
"due" either, so an idle worker sleeps instead of spinning on it. Rows without a key are unaffected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ordertrail.domain.notifying.outbox import DEAD, DELIVERED, PENDING, NewMessage, Outcome, ordering_key
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.context import Services
from ordertrail.services.notifying import delivery
from ordertrail.storage.notifying import outbox as outbox_store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHANNELS = ("email",)
LEASE = timedelta(minutes=2)


def email(message_id: str, merchant_id: int, key: str | None) -> NewMessage:
    return NewMessage(
        message_id=message_id,
        channel="email",
        event_type="parcel.order_placed",
        merchant_id=merchant_id,
        recipient="ada@example.com",
        payload="{}",
        ordering_key=key,
    )


def test_only_the_head_of_each_key_is_claimed_and_the_next_follows_its_outcome(
    run_services: Callable[[Callable[[Services], Any]], Any],
) -> None:
    async def story(services: Services) -> None:
        clock = [NOW]
        services = Services(db=services.db, clock=lambda: clock[0])
        merchant = await merchant_service.create_merchant(services, name="Order Shop")
        one, two = ordering_key(order_id=1), ordering_key(order_id=2)
        rows = [email("a1", merchant, one), email("a2", merchant, one), email("a3", merchant, one)]
        rows += [email("b1", merchant, two), email("n1", merchant, None), email("n2", merchant, None)]
        await services.db.write(lambda c: outbox_store.add_messages(c, rows, now=NOW))

        async def claim() -> list[str]:
            taken = await delivery.claim_due(services, worker="w", lease=LEASE, limit=10, channels=CHANNELS)
            ids[:] = taken
            return sorted(m.message_id for m in taken)

        ids: list[Any] = []
        assert await claim() == ["a1", "b1", "n1", "n2"]  # heads only; keyless rows all
        by_id = {m.message_id: m.id for m in ids}
        # a1 fails and waits for its retry: a2 stays behind it, and is not due (the worker would spin).
        retry = Outcome(by_id["a1"], PENDING, None, next_attempt_at=NOW + timedelta(seconds=30), error="busy")
        others = [Outcome(by_id[m], DELIVERED, None) for m in ("b1", "n1", "n2")]
        await delivery.record_outcomes(services, worker="w", outcomes=[retry, *others])
        assert await claim() == []
        assert await delivery.next_due(services, channels=CHANNELS) == NOW + timedelta(seconds=30)

        clock[0] = NOW + timedelta(seconds=31)
        assert await claim() == ["a1"]  # the retry, still alone
        await delivery.record_outcomes(services, worker="w", outcomes=[Outcome(ids[0].id, DEAD, None, error="x")])
        assert await claim() == ["a2"]  # given up on a1: a2 goes next
        await delivery.record_outcomes(services, worker="w", outcomes=[Outcome(ids[0].id, DELIVERED, None)])
        assert await claim() == ["a3"]
        await delivery.record_outcomes(services, worker="w", outcomes=[Outcome(ids[0].id, DELIVERED, None)])
        assert await claim() == []
        assert await delivery.next_due(services, channels=CHANNELS) is None

    run_services(story)


def test_two_workers_at_once_never_hold_two_messages_of_one_key(
    run_services: Callable[[Callable[[Services], Any]], Any],
) -> None:
    async def story(services: Services) -> None:
        services = Services(db=services.db, clock=lambda: NOW)
        merchant = await merchant_service.create_merchant(services, name="Race Shop")
        rows = [email(f"k{k}-{i}", merchant, ordering_key(order_id=k)) for k in range(20) for i in range(3)]
        await services.db.write(lambda c: outbox_store.add_messages(c, rows, now=NOW))
        claims = await asyncio.gather(
            *(delivery.claim_due(services, worker=f"w{n}", lease=LEASE, limit=50, channels=CHANNELS) for n in range(4))
        )
        taken = [m.message_id for claim in claims for m in claim]
        assert sorted(taken) == sorted(f"k{k}-0" for k in range(20))  # every head once, nothing behind one

    run_services(story)
