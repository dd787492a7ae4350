"""Courier integrations: created by admins, each with its own Standard Webhooks secret (shown once)."""

from __future__ import annotations

from dataclasses import dataclass

from ordertrail.domain.couriers.handover import COURIER_CODE
from ordertrail.domain.errors import InvalidInput
from ordertrail.services.context import Services
from ordertrail.services.notifying.endpoints import new_secret
from ordertrail.storage.couriers import integrations as integration_store


@dataclass(frozen=True, slots=True)
class CreatedIntegration:
    id: int
    courier: str
    name: str
    secret: str


async def create_integration(services: Services, *, courier: str, name: str) -> CreatedIntegration:
    """A new integration for ``courier``; raises InvalidInput (field ``courier``) for a malformed code."""
    if not COURIER_CODE.match(courier):
        raise InvalidInput("must be 2 to 32 lower-case letters, digits, '_' or '-'", field="courier")
    secret = new_secret()
    at = services.clock()
    integration_id = await services.db.write(
        lambda c: integration_store.insert_integration(c, courier=courier, name=name, secret=secret, at=at)
    )
    return CreatedIntegration(integration_id, courier, name, secret)
