"""Merchants' notification settings and customers' one-click unsubscribes."""

from __future__ import annotations

from sqlalchemy import Connection

from ordertrail.domain.errors import InvalidUnsubscribeLink
from ordertrail.domain.notifying.policy import (
    Preferences,
)
from ordertrail.domain.notifying.unsubscribe import read_token
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.notifying import preferences as preference_store


async def get_preferences(services: Ports, *, merchant_id: int) -> Preferences:
    found = await services.db.read(lambda c: preference_store.preferences_of(c, [merchant_id]))
    return found.get(merchant_id, Preferences())


async def set_preferences(services: Ports, *, merchant_id: int, preferences: Preferences) -> Preferences:
    await services.db.write(
        lambda c: preference_store.save_preferences(c, merchant_id, preferences, now=services.clock())
    )
    return preferences


async def unsubscribe(services: Ports, *, key: bytes, token: str) -> str:
    """Record a one-click unsubscribe; returns the merchant's name. Raises InvalidUnsubscribeLink."""
    subject = read_token(key, token)
    if subject is None:
        raise InvalidUnsubscribeLink(field="token")

    def transaction(connection: Connection) -> str:
        names = merchant_store.merchant_names(connection, [subject.merchant_id])
        if subject.merchant_id not in names:
            raise InvalidUnsubscribeLink(field="token")
        preference_store.add_unsubscribe(
            connection, merchant_id=subject.merchant_id, email=subject.email, now=services.clock()
        )
        return names[subject.merchant_id]

    return await services.db.write(transaction)
