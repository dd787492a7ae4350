"""Pairing devices: an admin creates a short one-time code; the device exchanges it once for a scanner key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.accounts import keys as key_rules
from ordertrail.domain.accounts import pairing as pairing_rules
from ordertrail.domain.accounts.keys import Role
from ordertrail.domain.errors import InvalidInput, InvalidPairingCode, MerchantNotFound
from ordertrail.services.accounts.keys import CreatedKey
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import keys as key_store
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.accounts import pairing as pairing_store

MAX_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True)
class PairingCode:
    """A new code: shown once to the admin, only its hash is stored."""

    code: str
    name: str
    facility: str | None
    expires_at: datetime

    @property
    def display(self) -> str:
        return pairing_rules.display(self.code)


@dataclass(frozen=True, slots=True)
class PairedDevice:
    """The scanner key a code was exchanged for."""

    key: CreatedKey
    facility: str | None


async def create_pairing_code(
    services: Ports, *, name: str, facility: str | None = None, merchant: str | None = None, minutes: int = 10
) -> PairingCode:
    """Create a one-time code for a device called ``name`` (with ``merchant``, a packing bench's: its key prints
    that merchant's labels); raises InvalidInput, MerchantNotFound."""
    name = name.strip()
    if not name:
        raise InvalidInput("A device needs a name.", field="name")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"A pairing code lives between 1 and {MAX_MINUTES} minutes.", field="minutes")
    facility = (facility or "").strip() or None
    code = pairing_rules.generate()
    now = services.clock()
    expires_at = now + timedelta(minutes=minutes)

    def transaction(connection: Connection) -> None:
        merchant_id = None
        if merchant:
            merchant_id = merchant_store.merchant_id_by_name(connection, merchant)
            if merchant_id is None:
                raise MerchantNotFound(f"No merchant {merchant!r}: create it first.", field="merchant")
        pairing_store.insert_code(
            connection,
            code_hash=pairing_rules.hash_code(code),
            name=name,
            facility=facility,
            merchant_id=merchant_id,
            at=now,
            expires_at=expires_at,
        )

    await services.db.write(transaction)
    return PairingCode(code=code, name=name, facility=facility, expires_at=expires_at)


async def exchange_pairing_code(services: Ports, *, code: str) -> PairedDevice:
    """Use a code (once) to create the device's scanner key; raises InvalidPairingCode."""
    code_hash = pairing_rules.hash_code(pairing_rules.normalize(code))
    new = key_rules.new_key(Role.SCANNER)

    def transaction(connection: Connection) -> PairedDevice:
        now = services.clock()
        record = pairing_store.claim_code(connection, code_hash, at=now)
        if record is None:
            raise InvalidPairingCode(field="code")
        key_id = key_store.insert_key(
            connection,
            key_hash=new.key_hash,
            display_prefix=new.display_prefix,
            role=Role.SCANNER,
            name=record.name,
            merchant_id=record.merchant_id,
            facility=record.facility,
            at=now,
        )
        pairing_store.attach_key(connection, record.id, key_id)
        return PairedDevice(
            key=CreatedKey(id=key_id, plaintext=new.plaintext, role=Role.SCANNER, name=record.name),
            facility=record.facility,
        )

    return await services.db.write(transaction)
