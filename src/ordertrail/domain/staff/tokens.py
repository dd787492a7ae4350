"""Secrets handed to a person once (invitation tokens, session ids) and stored only as SHA-256 hashes.

Each has 256 random bits, so a plain hash is safe to store and to look up by (nothing to brute-force), and a copy
of the database gives no working link or cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

_BYTES: Final = 32


def new_secret() -> str:
    return secrets.token_urlsafe(_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_secret(text: str) -> bool:
    """Cheap syntactic check before any lookup: 43 URL-safe base64 characters."""
    return len(text) == 43 and all(c.isalnum() or c in "-_" for c in text)


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
