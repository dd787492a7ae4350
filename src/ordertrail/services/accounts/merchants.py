"""Merchants, and the one answer to "which merchant is this request for"."""

from __future__ import annotations

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import (
    DuplicateMerchant,
    Forbidden,
    InvalidInput,
    MerchantNotFound,
)
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import merchants as merchant_store


def merchant_scope(principal: Principal) -> int | None:
    """The merchant whose data the caller may see; None means all (admins). Raises Forbidden for scanners."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.MERCHANT and principal.merchant_id is not None:
        return principal.merchant_id
    raise Forbidden("Only merchant and admin keys may read or place orders.")


async def create_merchant(services: Ports, *, name: str) -> int:
    """Create a merchant; raises DuplicateMerchant."""
    name = name.strip()
    if not name:
        raise InvalidInput("A merchant needs a name.", field="name")

    def transaction(connection: Connection) -> int:
        if merchant_store.merchant_id_by_name(connection, name) is not None:
            raise DuplicateMerchant(f"Merchant {name!r} already exists.", field="name")
        return merchant_store.create_merchant(connection, name=name, at=services.clock())

    return await services.db.write(transaction)


async def resolve_merchant(services: Ports, *, principal: Principal, merchant: str | None) -> int:
    """The merchant a request acts for: a merchant key's own; an admin names one. Raises InvalidInput."""
    if not principal.is_admin:
        if principal.merchant_id is None:
            raise InvalidInput("Only merchant and admin keys manage notifications.")
        return principal.merchant_id
    if merchant is None:
        raise InvalidInput("An admin key must name the merchant.", field="merchant")
    name = merchant
    found = await services.db.read(lambda c: merchant_store.merchant_id_by_name(c, name))
    if found is None:
        raise MerchantNotFound(f"No merchant {merchant!r}.", field="merchant")
    return found
