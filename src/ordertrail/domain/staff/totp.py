"""RFC 6238 time-based one-time passwords (TOTP), as authenticator apps compute them: SHA-1, 30-second steps,
six digits. A small implementation on ``hmac`` rather than a dependency: the algorithm is twenty lines and fixed.

A code is accepted in its own step and one step either side (clocks on phones drift), and only in a step later
than the last one used, so an overheard code cannot be used again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from typing import Final
from urllib.parse import quote, urlencode

STEP_SECONDS: Final = 30
DIGITS: Final = 6
DRIFT_STEPS: Final = 1
# 160 bits, the HMAC-SHA-1 block the RFC recommends; 32 base32 characters without padding.
_SECRET_BYTES: Final = 20


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    """RFC 4226 HOTP of the step counter (dynamic truncation, then the last six decimal digits)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def normal_code(typed: str) -> str | None:
    """The six digits of a code as typed (spaces and dashes that apps show are dropped), None when not a code."""
    code = "".join(c for c in typed if c not in " -")
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def matching_step(secret: str, typed: str, *, now: datetime, after_step: int | None) -> int | None:
    """The step the typed code belongs to (within the drift), only when later than ``after_step``; else None.

    Every candidate is compared in constant time, so the answer's timing says nothing about which step matched.
    """
    code = normal_code(typed)
    if code is None:
        return None
    current = step_at(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for_step(secret, step), code) and (after_step is None or step > after_step):
            found = step if found is None else found
    return found


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The provisioning URI authenticator apps read (from a QR code or pasted)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
