"""API keys and roles: typed, high-entropy keys that are shown once and stored only as SHA-256 hashes.

A key has 192 random bits, so a plain (unsalted, fast) hash is safe to store and to look up by: there is
nothing to brute-force. The role is part of the visible prefix so a leaked key is easy to recognise.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """What a key may do."""

    ADMIN = "admin"  # everything
    MERCHANT = "merchant"  # one merchant's orders, parcels and webhooks
    SCANNER = "scanner"  # a named device: posts scans and reads the short parcel summary


KEY_PREFIX: Final = "ot"
_SECRET_BYTES: Final = 24
_ROLE_NAMES: Final = frozenset(role.value for role in Role)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the live key that authenticated the request."""

    key_id: int | None  # None for events the system records itself
    role: Role
    name: str
    merchant_id: int | None = None
    facility: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly generated key: ``plaintext`` is shown once, only ``key_hash`` is stored."""

    plaintext: str
    key_hash: str
    display_prefix: str


def new_key(role: Role) -> NewKey:
    """Generate a key for ``role``."""
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    plaintext = f"{KEY_PREFIX}_{role.value}_{secret}"
    display_prefix = f"{KEY_PREFIX}_{role.value}_{secret[:6]}"
    return NewKey(plaintext=plaintext, key_hash=hash_key(plaintext), display_prefix=display_prefix)


def hash_key(plaintext: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def looks_like_key(text: str) -> bool:
    """Cheap syntactic check, done before any lookup."""
    parts = text.split("_", 2)
    return len(parts) == 3 and parts[0] == KEY_PREFIX and parts[1] in _ROLE_NAMES and len(parts[2]) >= 32


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as listed to admins: never the key itself."""

    id: int
    display_prefix: str
    role: Role
    name: str
    merchant: str | None
    facility: str | None
    created_at: datetime
    revoked_at: datetime | None
