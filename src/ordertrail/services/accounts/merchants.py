"""Merchants, and the one answer to "which merchant is this request for"."""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.accounts.merchant_settings import MerchantSettings
from ordertrail.domain.errors import (
    DuplicateMerchant,
    Forbidden,
    InvalidInput,
    MerchantNotFound,
)
from ordertrail.domain.orders.order import Address
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import logos as logo_store
from ordertrail.storage.accounts import merchants as merchant_store

MAX_NAME: Final = 200
MAX_ADDRESS_FIELD: Final = 200
MAX_POSTAL_CODE: Final = 20


def merchant_scope(principal: Principal) -> int | None:
    """The merchant whose data the caller may see; None means all (admins). Raises Forbidden for scanners."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.MERCHANT and principal.merchant_id is not None:
        return principal.merchant_id
    raise Forbidden("Only merchant and admin keys may read or place orders.")


def display_name_of(text: str | None) -> str | None:
    """The name customers see, checked: blank means none (the merchant's own name is shown)."""
    if text is None or not text.strip():
        return None
    text = " ".join(text.split())
    if len(text) > MAX_NAME:
        raise InvalidInput(f"A display name has at most {MAX_NAME} characters.", field="display_name")
    return text


def return_address_of(fields: dict[str, str | None]) -> Address | None:
    """A return address from its fields (line1, line2, city, region, postal_code, country), checked; all blank
    means none. Raises InvalidInput naming the first field that is missing or too long."""
    cleaned = {key: " ".join(value.split()) if value else "" for key, value in fields.items()}
    if not any(cleaned.values()):
        return None
    for key in ("line1", "city", "postal_code", "country"):
        if not cleaned.get(key):
            raise InvalidInput(f"A return address needs {key.replace('_', ' ')}.", field=f"return_address.{key}")
    for key, value in cleaned.items():
        limit = MAX_POSTAL_CODE if key == "postal_code" else MAX_ADDRESS_FIELD
        if len(value) > limit:
            raise InvalidInput(f"At most {limit} characters.", field=f"return_address.{key}")
    country = cleaned["country"].upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInput("A two-letter country code (ISO 3166-1), such as DE.", field="return_address.country")
    return Address(
        line1=cleaned["line1"],
        line2=cleaned.get("line2") or None,
        city=cleaned["city"],
        region=cleaned.get("region") or None,
        postal_code=cleaned["postal_code"],
        country=country,
    )


async def create_merchant(
    services: Ports, *, name: str, display_name: str | None = None, return_address: Address | None = None
) -> int:
    """Create a merchant; raises DuplicateMerchant."""
    name = name.strip()
    if not name:
        raise InvalidInput("A merchant needs a name.", field="name")
    shown = display_name_of(display_name)

    def transaction(connection: Connection) -> int:
        if merchant_store.merchant_id_by_name(connection, name) is not None:
            raise DuplicateMerchant(f"Merchant {name!r} already exists.", field="name")
        return merchant_store.create_merchant(
            connection, name=name, at=services.clock(), display_name=shown, return_address=return_address
        )

    return await services.db.write(transaction)


async def update_merchant(
    services: Ports,
    *,
    name: str,
    display_name: str | None = None,
    return_address: Address | None = None,
    clear_return_address: bool = False,
) -> None:
    """Set a merchant's display name (a blank one clears it) and return address; what is not given stays.
    Raises MerchantNotFound."""
    changes: dict[str, object] = {}
    if display_name is not None:
        changes["display_name"] = display_name_of(display_name)
    if return_address is not None or clear_return_address:
        changes["return_address"] = return_address

    def transaction(connection: Connection) -> None:
        merchant_id = merchant_store.merchant_id_by_name(connection, name)
        if merchant_id is None:
            raise MerchantNotFound(f"No merchant {name!r}.", field="name")
        merchant_store.update_merchant(connection, merchant_id, **changes)

    await services.db.write(transaction)


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


async def shown_name(services: Ports, merchant_id: int) -> str | None:
    """The name customers see for a merchant (its display name, else its name); None for no such merchant."""
    names = await services.db.read(lambda c: merchant_store.merchant_names(c, [merchant_id]))
    return names.get(merchant_id)


async def customer_face(services: Ports, merchant_id: int) -> MerchantSettings | None:
    """What customers see of a merchant: the name, the logo and the support contact (None: no such merchant)."""
    return await services.db.read(lambda c: merchant_store.merchant_settings(c, merchant_id))


async def logo_content(services: Ports, merchant_id: int, sha256: str) -> tuple[str, bytes] | None:
    """The media type and bytes of the merchant's logo when ``sha256`` is its current version, else None."""
    return await services.db.read(lambda c: logo_store.logo_content(c, merchant_id, sha256))
