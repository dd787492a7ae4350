"""Merchants, API keys and authentication."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from ordertrail.domain.accounts import keys as key_rules
from ordertrail.domain.accounts.keys import ApiKey, Principal, Role
from ordertrail.domain.errors import (
    InvalidInput,
    KeyNotFound,
    MerchantNotFound,
    Unauthenticated,
)
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import keys as key_store
from ordertrail.storage.accounts import merchants as merchant_store


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key: ``plaintext`` is shown once and never stored."""

    id: int
    plaintext: str
    role: Role
    name: str


async def create_key(
    services: Ports, *, role: Role, name: str, merchant: str | None = None, facility: str | None = None
) -> CreatedKey:
    """Create an API key; a merchant key names its merchant, a scanner key may be bound to a facility and may
    name a merchant (a packing bench's device: it prints that merchant's labels, docs/labels.md)."""
    if role is Role.MERCHANT and not merchant:
        raise InvalidInput("A merchant key must name its merchant.", field="merchant")
    if role is Role.ADMIN and merchant:
        raise InvalidInput("Only merchant and scanner keys belong to a merchant.", field="merchant")
    if role is not Role.SCANNER and facility:
        raise InvalidInput("Only scanner keys are bound to a facility.", field="facility")
    new = key_rules.new_key(role)

    def transaction(connection: Connection) -> int:
        merchant_id = None
        if merchant:
            merchant_id = merchant_store.merchant_id_by_name(connection, merchant)
            if merchant_id is None:
                raise MerchantNotFound(f"No merchant {merchant!r}: create it first.", field="merchant")
        return key_store.insert_key(
            connection,
            key_hash=new.key_hash,
            display_prefix=new.display_prefix,
            role=role,
            name=name,
            merchant_id=merchant_id,
            facility=facility,
            at=services.clock(),
        )

    key_id = await services.db.write(transaction)
    return CreatedKey(id=key_id, plaintext=new.plaintext, role=role, name=name)


async def list_keys(services: Ports) -> list[ApiKey]:
    return await services.db.read(key_store.list_keys)


async def revoke_key(services: Ports, *, key_id: int) -> None:
    """Revoke a key at once; raises KeyNotFound."""
    revoked = await services.db.write(lambda c: key_store.revoke_key(c, key_id, at=services.clock()))
    if not revoked:
        raise KeyNotFound(f"No live key with id {key_id}.")


def key_hash_of(authorization: str | None) -> str:
    """The stored hash of the key in an ``Authorization: Bearer`` header; raises Unauthenticated if malformed."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated()
    token = authorization[len("Bearer ") :].strip()
    if not key_rules.looks_like_key(token):
        raise Unauthenticated()
    return key_rules.hash_key(token)


async def authenticate(services: Ports, *, authorization: str | None) -> Principal:
    """The principal of an ``Authorization: Bearer`` header; raises Unauthenticated.

    Looked up on every request, so a key created or revoked in another process counts at once.
    """
    key_hash = key_hash_of(authorization)
    principal = await key_store.principal_by_hash(services.db, key_hash)
    if principal is None:
        raise Unauthenticated("That API key is not valid (unknown or revoked).")
    return principal
