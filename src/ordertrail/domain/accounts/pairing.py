"""Pairing codes: short, one-time, expiring codes an admin reads out to a device, exchanged for a scanner key.

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V): 29^8 ≈ 2^39 codes. A code lives
for minutes, works once, is stored only as its SHA-256 hash, and the exchange endpoint limits failed guesses,
so guessing a live code is hopeless.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ordertrail.domain.errors import InvalidPairingCode

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH: Final = 8
_IGNORED: Final = str.maketrans("", "", " -\t")


def generate(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A new random pairing code (canonical form, no separator)."""
    return "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(LENGTH))


def normalize(raw: str) -> str:
    """The canonical form of a typed code (case, spaces and dashes ignored); raises InvalidPairingCode."""
    text = raw.upper().translate(_IGNORED)
    if len(text) != LENGTH or any(symbol not in ALPHABET for symbol in text):
        raise InvalidPairingCode(field="code")
    return text


def hash_code(code: str) -> str:
    """The stored form of a canonical code."""
    return hashlib.sha256(code.encode()).hexdigest()


def display(code: str) -> str:
    """Grouped to read aloud: ``ABCD-EFGH``."""
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True, slots=True)
class PairingClaim:
    """What a code was created for."""

    id: int
    name: str
    facility: str | None
    merchant_id: int | None = None  # a packing bench's merchant: its key prints that merchant's labels
