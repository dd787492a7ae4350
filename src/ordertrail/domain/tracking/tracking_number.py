"""Tracking numbers: random, short enough for a compact Code 128 barcode, with a check character.

Format: ``OT`` + 10 random characters + 1 check character, from a 31-symbol alphabet (Crockford's base 32
without ``V``; no ``I``, ``L``, ``O``, ``U``). 31^10 ≈ 2^49.5 numbers, so they cannot be guessed. The check
character is a weighted sum modulo 31, a prime: it catches every single wrong character and every swap of two
neighbouring characters, so a mistyped or misread number is rejected before any lookup.

What people misread is read as meant, before the check: ``0T`` for the prefix, ``O`` for ``0`` and ``I``/``L`` for
``1`` in the body (letters the alphabet never uses, so no real number is confused with another).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from operator import mul
from typing import Final

from ordertrail.domain.errors import InvalidTrackingNumber

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTWXYZ"
PREFIX: Final = "OT"
BODY_LENGTH: Final = 10
LENGTH: Final = len(PREFIX) + BODY_LENGTH + 1
_VALUE: Final = {symbol: value for value, symbol in enumerate(ALPHABET)}
_SYMBOLS: Final = frozenset(ALPHABET)
# Characters people and scanners confuse, read the way they were meant.
_READ_AS: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED: Final = str.maketrans("", "", " -\t")
# The prefix as people misread it: "0T" (zero) for "OT", as in a font where O and 0 look alike.
_PREFIX_READINGS: Final = frozenset({PREFIX, "0T"})


def check_character(body: str) -> str:
    """The check character for a body of alphabet symbols."""
    # sum((position + 1) * value): loops in C, as every scan checks its number (a batch, a thousand).
    total = sum(map(mul, range(1, len(body) + 1), map(_VALUE.__getitem__, body)))
    return ALPHABET[total % len(ALPHABET)]


def generate(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A new random tracking number."""
    body = "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(BODY_LENGTH))
    return PREFIX + body + check_character(body)


def normalize(raw: str) -> str:
    """The canonical form of a typed or scanned tracking number; raises InvalidTrackingNumber."""
    text = raw.upper().translate(_IGNORED)
    if len(text) != LENGTH or text[: len(PREFIX)] not in _PREFIX_READINGS:
        raise InvalidTrackingNumber(f"A tracking number has {LENGTH} characters and starts with {PREFIX}.")
    body_and_check = text[len(PREFIX) :].translate(_READ_AS)
    if not _SYMBOLS.issuperset(body_and_check):
        raise InvalidTrackingNumber("The tracking number contains a character that is never used.")
    body, check = body_and_check[:-1], body_and_check[-1]
    if check_character(body) != check:
        raise InvalidTrackingNumber("The tracking number's check character does not match: check for a typo.")
    return PREFIX + body_and_check


def is_valid(raw: str) -> bool:
    """Whether ``raw`` normalizes to a well-formed tracking number."""
    try:
        normalize(raw)
    except InvalidTrackingNumber:
        return False
    return True


def display(tracking_number: str) -> str:
    """Grouped for people to read aloud or type: ``OT 1234 5678 90K``."""
    tn = tracking_number
    return f"{tn[:2]} {tn[2:6]} {tn[6:10]} {tn[10:]}"
