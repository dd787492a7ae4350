"""Webhook endpoints for the console: the failing-endpoints queue on the overview and the endpoints page, over the
reader's merchants only (a merchant user sees its own endpoints, never another shop's)."""

from __future__ import annotations

from ordertrail.domain.console.endpoints import EndpointHealth
from ordertrail.services.console.readers import Reader
from ordertrail.services.ports import Ports
from ordertrail.storage.console import endpoints as endpoint_store


async def endpoints(services: Ports, reader: Reader, *, failing_only: bool = False) -> list[EndpointHealth]:
    """The reader's merchants' endpoints (failing ones first), or only the failing ones."""
    scope = reader.scope
    found = await services.db.read(lambda c: endpoint_store.endpoint_health(c, scope))
    if failing_only:
        return [e for e in found if e.failing]
    return sorted(found, key=lambda e: (not e.failing, e.id))


async def failing_count(services: Ports, reader: Reader) -> int:
    return len(await endpoints(services, reader, failing_only=True))
