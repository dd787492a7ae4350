"""Opaque one-click unsubscribe tokens: which customer address stops hearing from which merchant. Pure.

The token travels in URLs that proxies, link scanners and mail gateways log, so it must not carry the
address readably. It is the subject encrypted and authenticated with keys derived from the signing key
(a synthetic-IV construction from HMAC-SHA256 alone: the IV is the MAC of the plaintext, the keystream is
HMAC in counter mode). The plaintext is padded to a multiple of 32 bytes, so the length says little either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

_VERSION = 1
_IV_BYTES = 16
_BLOCK = 32


@dataclass(frozen=True, slots=True)
class Unsubscription:
    """A customer address and the merchant whose emails it no longer wants."""

    merchant_id: int
    email: str


def _subkey(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"ordertrail-unsubscribe:" + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, iv: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, iv + struct.pack(">I", i), hashlib.sha256).digest() for i in range(-(-length // _BLOCK)))
    return b"".join(blocks)[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _plaintext(subject: Unsubscription) -> bytes:
    email = subject.email.lower().encode()
    body = struct.pack(">QH", subject.merchant_id, len(email)) + email
    return body + b"\0" * (-len(body) % _BLOCK)


def make_token(key: bytes, subject: Unsubscription) -> str:
    """A URL-safe token naming ``subject`` that only ``key`` can read; it shows no part of the address."""
    plain = _plaintext(subject)
    iv = hmac.new(_subkey(key, b"mac"), bytes([_VERSION]) + plain, hashlib.sha256).digest()[:_IV_BYTES]
    sealed = bytes([_VERSION]) + iv + _xor(plain, _keystream(_subkey(key, b"enc"), iv, len(plain)))
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def read_token(key: bytes, token: str) -> Unsubscription | None:
    """The subject of a token made with ``key``; None when it is malformed or forged."""
    if "." in token:
        return _read_legacy_token(key, token)
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(sealed) < 1 + _IV_BYTES + _BLOCK or sealed[0] != _VERSION:
        return None
    iv, cipher = sealed[1 : 1 + _IV_BYTES], sealed[1 + _IV_BYTES :]
    if len(cipher) % _BLOCK:
        return None
    plain = _xor(cipher, _keystream(_subkey(key, b"enc"), iv, len(cipher)))
    expected = hmac.new(_subkey(key, b"mac"), bytes([_VERSION]) + plain, hashlib.sha256).digest()[:_IV_BYTES]
    if not hmac.compare_digest(iv, expected):
        return None
    merchant_id, length = struct.unpack(">QH", plain[:10])
    raw = plain[10 : 10 + length]
    try:
        email = raw.decode()
    except UnicodeDecodeError:
        return None
    if len(raw) != length or "@" not in email:
        return None
    return Unsubscription(merchant_id, email)


def _read_legacy_token(key: bytes, token: str) -> Unsubscription | None:
    """Tokens of emails sent before the opaque ones (``base64(merchant:email).mac``): links already in inboxes
    keep working. Never made any more."""
    body, _, mac = token.partition(".")
    expected = (
        base64.urlsafe_b64encode(hmac.new(key, b"unsubscribe:" + body.encode(), hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )
    if not body or not mac or not hmac.compare_digest(mac, expected):
        return None
    try:
        merchant, _, email = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not (merchant.isascii() and merchant.isdigit()) or "@" not in email:
        return None
    return Unsubscription(int(merchant), email)
