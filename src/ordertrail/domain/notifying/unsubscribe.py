"""Signed one-click unsubscribe tokens: which customer address stops hearing from which merchant. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unsubscription:
    """A customer address and the merchant whose emails it no longer wants."""

    merchant_id: int
    email: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, b"unsubscribe:" + body.encode(), hashlib.sha256).digest())


def make_token(key: bytes, subject: Unsubscription) -> str:
    """A URL-safe token naming ``subject``, signed with ``key``."""
    body = _b64(f"{subject.merchant_id}:{subject.email.lower()}".encode())
    return f"{body}.{_mac(key, body)}"


def read_token(key: bytes, token: str) -> Unsubscription | None:
    """The subject of a token signed with ``key``; None when it is malformed or forged."""
    body, _, mac = token.partition(".")
    if not body or not mac or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    try:
        merchant, _, email = _unb64(body).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not merchant.isdigit() or "@" not in email:
        return None
    return Unsubscription(int(merchant), email)
