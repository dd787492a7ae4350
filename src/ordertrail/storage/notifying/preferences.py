"""Merchants' notification preferences and customers' unsubscribes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.notifying.policy import Preferences
from ordertrail.domain.scanning.status import Status
from ordertrail.storage.tables import notification_preference, unsubscribe

# Built once: this runs in every scan transaction.
_PREFERENCES = select(notification_preference).where(
    notification_preference.c.merchant_id.in_(bindparam("ids", expanding=True))
)


def preferences_of(connection: Connection, merchant_ids: Sequence[int]) -> dict[int, Preferences]:
    """Saved preferences of these merchants (merchants without a row use the defaults)."""
    if not merchant_ids:
        return {}
    rows = connection.execute(_PREFERENCES, {"ids": list(merchant_ids)})
    return {
        r.merchant_id: Preferences(
            customer_statuses=frozenset(Status(s) for s in json.loads(r.customer_statuses)), webhooks=r.webhooks
        )
        for r in rows
    }


def save_preferences(connection: Connection, merchant_id: int, preferences: Preferences, *, now: datetime) -> None:
    values = {
        "customer_statuses": json.dumps(sorted(s.value for s in preferences.customer_statuses)),
        "webhooks": preferences.webhooks,
        "updated_at": now,
    }
    result = connection.execute(
        update(notification_preference).where(notification_preference.c.merchant_id == merchant_id).values(**values)
    )
    if result.rowcount == 0:
        connection.execute(insert(notification_preference).values(merchant_id=merchant_id, **values))


def add_unsubscribe(connection: Connection, *, merchant_id: int, email: str, now: datetime) -> None:
    """Record that ``email`` wants no more emails from the merchant (idempotent)."""
    email = email.lower()
    exists = connection.execute(
        select(unsubscribe.c.id).where(unsubscribe.c.merchant_id == merchant_id, unsubscribe.c.email == email)
    ).first()
    if exists is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(unsubscribe).values(merchant_id=merchant_id, email=email, created_at=now))
        except IntegrityError:
            pass  # recorded at the same moment by another request


def is_unsubscribed(connection: Connection, *, merchant_id: int, email: str) -> bool:
    row = connection.execute(
        select(unsubscribe.c.id).where(unsubscribe.c.merchant_id == merchant_id, unsubscribe.c.email == email.lower())
    ).first()
    return row is not None
