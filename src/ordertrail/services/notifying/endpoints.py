"""Merchants' webhook endpoints: register, list, read, delete, rotate the secret, a test event, the delivery log,
replay."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import Connection

from ordertrail.adapters.destinations import Resolver, check_destination, system_resolver
from ordertrail.domain.errors import Conflict, InvalidInput, WebhookEndpointNotFound
from ordertrail.domain.notifying.addresses import WEB_PORTS
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import LoggedAttempt, NewMessage
from ordertrail.domain.notifying.policy import EVENT_TYPES, TEST_EVENT, Channel
from ordertrail.services.notifying.outbox import new_message_id
from ordertrail.services.ports import Ports
from ordertrail.storage.notifying import endpoints as notification_store
from ordertrail.storage.notifying import outbox as outbox_store

# After a rotation, messages are signed with both secrets for this long, so receivers can switch over.
ROTATION_OVERLAP: Final = timedelta(hours=24)


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# The merchants whose endpoints a caller manages (None: every merchant), and what a caller writes in the same
# transaction as a change (the console's audit entry).
Scope = frozenset[int] | None
AlsoWrite = Callable[[Connection, "Endpoint"], None]


def _also(after: AlsoWrite | None, connection: Connection, endpoint: Endpoint) -> None:
    if after is not None:
        after(connection, endpoint)


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    """A just-created or just-rotated endpoint, with its secret (shown this once)."""

    endpoint: Endpoint
    secret: str


def _check_event_types(event_types: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"Unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)}.", field="event_types")
    return tuple(dict.fromkeys(event_types))


async def create_endpoint(
    services: Ports,
    *,
    merchant_id: int,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    ports: frozenset[int] | None = WEB_PORTS,
    after: AlsoWrite | None = None,
) -> EndpointWithSecret:
    """Register an endpoint after checking where its URL leads; raises UnsafeWebhookUrl."""
    types = _check_event_types(event_types)
    await check_destination(url, allow_private=allow_private, resolver=resolver, ports=ports)
    secret = new_secret()

    def transaction(connection: Connection) -> Endpoint:
        endpoint_id = notification_store.insert_endpoint(
            connection,
            merchant_id=merchant_id,
            url=url,
            description=description,
            event_types=types,
            secret=secret,
            now=services.clock(),
        )
        endpoint = notification_store.endpoints(connection, merchant_id=None, endpoint_id=endpoint_id)[0]
        _also(after, connection, endpoint)
        return endpoint

    return EndpointWithSecret(await services.db.write(transaction), secret)


def _one(connection: Connection, scope: Scope, endpoint_id: int) -> Endpoint:
    found = notification_store.endpoints(connection, merchant_id=None, endpoint_id=endpoint_id)
    if not found or (scope is not None and found[0].merchant_id not in scope):
        raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id}.", field="endpoint_id")
    return found[0]


async def list_endpoints(services: Ports, *, scope: Scope, merchant_id: int | None) -> list[Endpoint]:
    """The endpoints of ``merchant_id`` (None: of every merchant in ``scope``)."""

    def read(connection: Connection) -> list[Endpoint]:
        found = notification_store.endpoints(connection, merchant_id=merchant_id)
        return [e for e in found if scope is None or e.merchant_id in scope]

    return await services.db.read(read)


async def get_endpoint(services: Ports, *, scope: Scope, endpoint_id: int) -> Endpoint:
    return await services.db.read(lambda c: _one(c, scope, endpoint_id))


async def delete_endpoint(services: Ports, *, scope: Scope, endpoint_id: int, after: AlsoWrite | None = None) -> None:
    """Delete an endpoint; its undelivered messages are held as dead. Raises WebhookEndpointNotFound."""

    def transaction(connection: Connection) -> None:
        _also(after, connection, _one(connection, scope, endpoint_id))
        now = services.clock()
        notification_store.update_endpoint(connection, endpoint_id, deleted_at=now)
        outbox_store.kill_endpoint_messages(connection, endpoint_id=endpoint_id, reason="endpoint deleted", now=now)

    await services.db.write(transaction)


async def rotate_secret(
    services: Ports, *, scope: Scope, endpoint_id: int, after: AlsoWrite | None = None
) -> EndpointWithSecret:
    """A new signing secret; the old one keeps signing alongside it for ``ROTATION_OVERLAP``."""
    secret = new_secret()

    def transaction(connection: Connection) -> Endpoint:
        endpoint = _one(connection, scope, endpoint_id)
        now = services.clock()
        notification_store.update_endpoint(
            connection,
            endpoint_id,
            secret=secret,
            previous_secret=endpoint.secret,
            previous_secret_expires_at=now + ROTATION_OVERLAP,
        )
        rotated = _one(connection, scope, endpoint_id)
        _also(after, connection, rotated)
        return rotated

    return EndpointWithSecret(await services.db.write(transaction), secret)


async def deliveries(
    services: Ports, *, scope: Scope, endpoint_id: int, before: int | None, limit: int
) -> list[LoggedAttempt]:
    """An endpoint's delivery log, newest attempt first."""

    def read(connection: Connection) -> list[LoggedAttempt]:
        _one(connection, scope, endpoint_id)
        return outbox_store.attempts_of_endpoint(connection, endpoint_id=endpoint_id, before_id=before, limit=limit)

    return await services.db.read(read)


async def replay(
    services: Ports,
    *,
    scope: Scope,
    endpoint_id: int,
    message_ids: Sequence[str] | None,
    after: AlsoWrite | None = None,
) -> int:
    """Send an endpoint's dead messages (all, or those named) again; re-enables a disabled endpoint."""

    def transaction(connection: Connection) -> int:
        endpoint = _one(connection, scope, endpoint_id)
        if endpoint.disabled_at is not None:
            notification_store.update_endpoint(connection, endpoint_id, disabled_at=None, disabled_reason=None)
        _also(after, connection, endpoint)
        return outbox_store.replay_dead(
            connection, endpoint_id=endpoint_id, message_ids=message_ids, now=services.clock()
        )

    return await services.db.write(transaction)


async def send_test_event(services: Ports, *, scope: Scope, endpoint_id: int, after: AlsoWrite | None = None) -> str:
    """Queue a ``webhook.test`` message for one endpoint; returns its message id. Raises Conflict when disabled.

    It goes through the outbox like every webhook (signed, retried, in the delivery log), so a merchant testing
    a receiver sees exactly what a real event would do, including a failure and the retry that follows.
    """

    def transaction(connection: Connection) -> str:
        endpoint = _one(connection, scope, endpoint_id)
        if endpoint.disabled_at is not None:
            raise Conflict(
                f"Webhook endpoint {endpoint_id} is disabled ({endpoint.disabled_reason}); "
                "replaying its messages re-enables it.",
                field="endpoint_id",
            )
        now = services.clock()
        message_id = new_message_id()
        body = {
            "type": TEST_EVENT,
            "timestamp": now.isoformat(),
            "data": {
                "endpoint_id": endpoint.id,
                "message": "A test event from ordertrail: nothing happened to a parcel.",
            },
        }
        message = NewMessage(
            message_id=message_id,
            channel=Channel.WEBHOOK.value,
            event_type=TEST_EVENT,
            merchant_id=endpoint.merchant_id,
            endpoint_id=endpoint.id,
            payload=json.dumps(body, separators=(",", ":")),
            ordering_key=None,  # waits behind no parcel's queue, and holds none up
        )
        outbox_store.add_messages(connection, [message], now=now)
        _also(after, connection, endpoint)
        return message_id

    return await services.db.write(transaction)
