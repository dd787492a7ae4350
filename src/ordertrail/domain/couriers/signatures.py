"""The aggregators' own webhook signatures, checked over the exact bytes of the body before it is read.

- EasyPost: ``X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the body>``, keyed with the webhook secret
  normalised to NFKD (as EasyPost's client libraries' ``validate_webhook`` does).
- AfterShip: ``aftership-hmac-sha256: <base64 HMAC-SHA256 of the body>`` keyed with the webhook secret.
- Karrio: ``X-Karrio-Signature: <hex HMAC-SHA256 of the body>`` (its webhooks guide); a Karrio server that sends
  the webhook's secret itself in ``X-Event-Id`` (as its notifier does) is accepted on that secret.

Every comparison takes constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping
from typing import Final


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def _same(sent: str | None, expected: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.strip().encode(), expected.encode())


def easypost_signed(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    expected = "hmac-sha256-hex=" + _digest(unicodedata.normalize("NFKD", secret), body).hex()
    return _same(headers.get("x-hmac-signature"), expected)


def aftership_signed(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    return _same(headers.get("aftership-hmac-sha256"), base64.b64encode(_digest(secret, body)).decode())


def karrio_signed(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    signature = headers.get("x-karrio-signature")
    if signature is not None:
        sent = signature.strip()
        return _same(sent.removeprefix("sha256="), _digest(secret, body).hex())
    return _same(headers.get("x-event-id"), secret)


SIGNED: Final[dict[str, Callable[[str, bytes, Mapping[str, str]], bool]]] = {
    "easypost": easypost_signed,
    "aftership": aftership_signed,
    "karrio": karrio_signed,
}
