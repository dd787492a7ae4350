"""Opening an order without an account: order number plus email or postal code, or a signed expiring link.

Verification compares in constant time and answers an unknown order and a wrong verifier identically
(OrderNotVerified). Tries are counted before they are evaluated (services/limits/lockouts.py) per merchant and
order number and client address (5 in fifteen minutes by default), and per merchant and order number from all
addresses (50): past either the order is locked for that client, or for everyone (OrderLocked, with the seconds
until it opens again). An unknown number is counted under no merchant, and locks exactly like a real one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.accounts.merchant_settings import MerchantSettings
from ordertrail.domain.errors import InvalidOrderLink, OrderLocked, OrderNotVerified
from ordertrail.domain.inputs import without_controls
from ordertrail.domain.orders.order import Address, Customer, Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.derivation import Derivation, derive
from ordertrail.services.context import Services
from ordertrail.services.limits.counters import Counters
from ordertrail.services.limits.lockouts import Lockout
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.orders import orders as order_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.scanning import events as scan_store

WINDOW = timedelta(minutes=15)
_LINK_VERSION = 1


def lookup_lockout(counters: Counters, *, per_client: int = 5, per_order: int = 50) -> Lockout:
    """The lockout of order lookups (built by the composition root from the settings)."""
    return Lockout(
        counters,
        name="order",
        per_client=per_client,
        per_scope=per_order,
        window_s=WINDOW.total_seconds(),
        locked=OrderLocked,
    )


def _normal_number(order_number: str) -> str:
    # Looked up and recorded as typed, less what no store can hold (NUL: PostgreSQL refuses it).
    return without_controls(order_number).strip()[:100]


def _normal_verifier(text: str) -> bytes:
    """Emails compare case-insensitively; postal codes without spaces or case ("n1 9gu" = "N19GU")."""
    return "".join(text.split()).casefold().encode()


def _digest(text: bytes) -> bytes:
    # Compare fixed-length digests, so the comparison time does not depend on the lengths either.
    return hashlib.sha256(text).digest()


def _matches(order: Order, verifier: bytes) -> bool:
    given = _digest(verifier)
    email = hmac.compare_digest(given, _digest(_normal_verifier(order.customer.email)))
    postal = hmac.compare_digest(given, _digest(_normal_verifier(order.destination.postal_code)))
    return email | postal  # both always compared: no short-circuit


def _scope(merchant_id: int | None, number: str) -> str:
    # Hashed: order numbers are up to 100 characters and counter keys stay short (and hold no order number).
    return f"{merchant_id if merchant_id is not None else '-'}:{hashlib.sha256(number.encode()).hexdigest()[:32]}"


def _matching(candidates: list[Order], verifier: str) -> int | None:
    given = _normal_verifier(verifier)
    found: int | None = None
    for candidate in candidates or [_DECOY]:  # the decoy keeps an unknown number as slow as a known one
        if _matches(candidate, given) and given and candidate is not _DECOY:
            found = candidate.id
    return found


async def verify_order(services: Services, *, lockout: Lockout, client: str, order_number: str, verifier: str) -> int:
    """Check order number + email or postal code; returns the order id. Raises OrderLocked or OrderNotVerified.

    The try is counted (for every shop using that number) before the verifier is compared: that is one atomic
    step per counter, so parallel guesses from several processes cannot slip past the limit.
    """
    number = _normal_number(order_number)
    candidates = (
        await services.db.read(
            lambda connection: order_store.order_by_number(connection, merchant_id=None, order_number=number)
        )
        if number
        else []
    )
    merchants: list[int | None] = [*sorted({candidate.merchant_id for candidate in candidates})] or [None]
    reservation = await lockout.reserve(client, [_scope(merchant, number) for merchant in merchants])
    found = _matching(candidates, verifier)
    if found is None:
        raise OrderNotVerified()
    await reservation.succeeded()
    return found


def sign_order_link(key: bytes, order_id: int, expires_at: datetime) -> str:
    """A token naming an order until ``expires_at``: base64url(version, order id, expiry) + HMAC-SHA256."""
    payload = struct.pack(">BQQ", _LINK_VERSION, order_id, int(expires_at.timestamp()))
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:20]
    return base64.urlsafe_b64encode(payload + signature).decode().rstrip("=")


def open_order_link(key: bytes, token: str, *, now: datetime) -> int:
    """The order id a token names; raises InvalidOrderLink when forged, malformed or expired."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError) as error:
        raise InvalidOrderLink() from error
    if len(raw) != 17 + 20:
        raise InvalidOrderLink()
    payload, signature = raw[:17], raw[17:]
    if not hmac.compare_digest(signature, hmac.new(key, payload, hashlib.sha256).digest()[:20]):
        raise InvalidOrderLink()
    version, order_id, expires = struct.unpack(">BQQ", payload)
    if version != _LINK_VERSION or expires < now.timestamp():
        raise InvalidOrderLink()
    return int(order_id)


@dataclass(frozen=True, slots=True)
class VerifiedParcel:
    parcel: Parcel
    derivation: Derivation


@dataclass(frozen=True, slots=True)
class VerifiedOrder:
    """What the verified order view shows: the order and each parcel's derived status and timeline."""

    order: Order
    merchant: MerchantSettings  # the shop as customers see it: name, logo, support contact
    parcels: tuple[VerifiedParcel, ...]


async def verified_order(services: Services, *, order_id: int) -> VerifiedOrder:
    """The order behind a verified link; raises InvalidOrderLink if it no longer exists."""

    def read(connection: Connection) -> VerifiedOrder:
        order = order_store.orders_by_id(connection, [order_id]).get(order_id)
        if order is None:
            raise InvalidOrderLink()
        parcels = parcel_store.parcels_of_orders(connection, [order_id])[order_id]
        events = scan_store.events_of(connection, [p.id for p in parcels])
        shop = merchant_store.merchant_settings(connection, order.merchant_id)
        assert shop is not None  # an order's merchant is never deleted
        return VerifiedOrder(
            order=order,
            merchant=shop,
            parcels=tuple(VerifiedParcel(p, derive(events.get(p.id, []))) for p in parcels),
        )

    return await services.db.read(read)


_DECOY = Order(
    id=0,
    merchant_id=0,
    order_number="",
    placed_at=datetime(1970, 1, 1, tzinfo=UTC),
    customer=Customer("", "decoy@invalid", None),
    destination=Address("", "", "DECOY", "ZZ"),
    promised_delivery_date=None,
    created_at=datetime(1970, 1, 1, tzinfo=UTC),
)
