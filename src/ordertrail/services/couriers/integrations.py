"""Courier integrations: created by admins, each with its own signing secret (shown once).

A generic integration's secret is a new Standard Webhooks one. An aggregator's (Karrio, EasyPost, AfterShip) is
the one the aggregator signs with: given when the aggregator makes it (AfterShip, Karrio), else new (EasyPost
takes the secret it is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
    source: str = "generic"


SOURCES: Final = ("generic", "karrio", "easypost", "aftership")


async def create_integration(
    services: Services, *, courier: str, name: str, source: str = "generic", secret: str | None = None
) -> CreatedIntegration:
    """A new integration for ``courier`` receiving ``source``'s requests.

    Raises InvalidInput naming ``courier`` (a malformed code), ``source`` (unknown) or ``secret`` (given for a
    generic integration, whose Standard Webhooks secret ordertrail makes).
    """
    if not COURIER_CODE.match(courier):
        raise InvalidInput("must be 2 to 32 lower-case letters, digits, '_' or '-'", field="courier")
    if source not in SOURCES:
        raise InvalidInput(f"must be one of {', '.join(SOURCES)}", field="source")
    if source == "generic" and secret is not None:
        raise InvalidInput("a generic integration's secret is made by ordertrail: leave it out", field="secret")
    signing = secret if secret is not None else new_secret()
    at = services.clock()
    integration_id = await services.db.write(
        lambda c: integration_store.insert_integration(
            c, courier=courier, name=name, secret=signing, at=at, source=source
        )
    )
    return CreatedIntegration(integration_id, courier, name, signing, source)
