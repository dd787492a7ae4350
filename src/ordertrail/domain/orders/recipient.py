"""Correcting an order's recipient (the customer's contact, the destination) before delivery, as versions.

Each correction is a new version saying who, when, why and which fields changed; version 1 is the order as
placed. The order holds the newest version, so every email queued afterwards goes to the corrected address.
Once a parcel of the order is delivered its recipient is history: a correction is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ordertrail.domain import inputs
from ordertrail.domain.errors import FieldProblem
from ordertrail.domain.orders.order import Address, Customer
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import ActorKind

# The fields a correction may change, as the API names them (``customer.email``, ``destination.line1``…).
CUSTOMER_FIELDS: Final = ("name", "email", "phone")
DESTINATION_FIELDS: Final = ("line1", "line2", "city", "region", "postal_code", "country")
_LIMITS: Final = {
    "customer.name": 200,
    "customer.email": 320,
    "customer.phone": 40,
    "destination.line1": 200,
    "destination.line2": 200,
    "destination.city": 100,
    "destination.region": 100,
    "destination.postal_code": 20,
}
_REQUIRED: Final = frozenset({"customer.name", "customer.email", "destination.line1", "destination.city"})
_PHONE: Final = re.compile(r"^\+?[0-9 ()./-]{4,40}$")
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Recipient:
    customer: Customer
    destination: Address

    def values(self) -> dict[str, str | None]:
        c, d = self.customer, self.destination
        return {f"customer.{f}": getattr(c, f) for f in CUSTOMER_FIELDS} | {
            f"destination.{f}": getattr(d, f) for f in DESTINATION_FIELDS
        }


@dataclass(frozen=True, slots=True)
class RecipientVersion:
    """One version of an order's recipient. Version 1 (as placed) has no actor and no reason."""

    order_id: int
    version: int
    at: datetime
    actor_kind: ActorKind | None
    actor_id: int | None
    actor: str | None
    reason: str | None
    changed: tuple[str, ...]
    recipient: Recipient

    def document(self, *, contact: bool) -> dict[str, Any]:
        """Who, when, why and which fields; the values only for readers who may see the customer's contact."""
        by = (
            None
            if self.actor_kind is None
            else {"kind": self.actor_kind.value, "id": self.actor_id, "name": self.actor}
        )
        c, d = self.recipient.customer, self.recipient.destination
        found: dict[str, Any] = {
            "version": self.version,
            "at": self.at.isoformat(),
            "by": by,
            "reason": self.reason,
            "changed": list(self.changed),
        }
        if contact:
            found["customer"] = {"name": c.name, "email": c.email, "phone": c.phone}
            found["destination"] = {f: getattr(d, f) for f in DESTINATION_FIELDS}
        return found


def corrected(current: Recipient, given: dict[str, str | None]) -> tuple[Recipient, tuple[str, ...]]:
    """The recipient with ``given`` (dotted field names; a field left out keeps its value) and the fields that
    changed, in the order of ``values``. ``given`` is checked by ``problems`` first."""
    values = current.values() | {k: _clean(v) for k, v in given.items()}
    if values["destination.country"]:
        values["destination.country"] = values["destination.country"].upper()
    changed = tuple(k for k, v in current.values().items() if values[k] != v)
    customer = Customer(**{f: values[f"customer.{f}"] for f in CUSTOMER_FIELDS})  # type: ignore[arg-type]
    destination = Address(**{f: values[f"destination.{f}"] for f in DESTINATION_FIELDS})  # type: ignore[arg-type]
    return Recipient(customer, destination), changed


def problems(given: dict[str, str | None]) -> list[FieldProblem]:
    """The rules the given fields break (empty when usable): each named by its dotted field."""
    found: list[FieldProblem] = []
    for name, raw in given.items():
        value = _clean(raw)
        if name not in _LIMITS and name != "destination.country":
            found.append(FieldProblem(name, "is not a field of the recipient"))
        elif value is None:
            if name in _REQUIRED or name in ("destination.postal_code", "destination.country"):
                found.append(FieldProblem(name, "is required"))
        elif name == "destination.country":
            problem = inputs.country_problem(value.upper())
            if problem is not None:
                found.append(FieldProblem(name, problem))
        elif len(value) > _LIMITS[name]:
            found.append(FieldProblem(name, f"has at most {_LIMITS[name]} characters"))
        elif (text := inputs.text_problem(value)) is not None:
            found.append(FieldProblem(name, text))
        elif name == "customer.email" and not _EMAIL.match(value):
            found.append(FieldProblem(name, "is not an email address"))
        elif name == "customer.phone" and not _PHONE.match(value):
            found.append(FieldProblem(name, "is not a phone number (digits, spaces and + ( ) . / -)"))
    return found


def refusal(statuses: Iterable[tuple[str, Status]]) -> str | None:
    """Why the order's recipient cannot be corrected (its parcels' numbers and statuses); None when it can."""
    delivered = [number for number, status in statuses if status is Status.DELIVERED]
    if not delivered:
        return None
    return f"parcel {', '.join(delivered)} is delivered: a recipient can be corrected only before delivery"


def body_hash(order_id: int, given: dict[str, str | None], reason: str) -> str:
    """What a retry under the same Idempotency-Key must repeat to be the same request."""
    text = json.dumps([order_id, sorted((k, _clean(v)) for k, v in given.items()), reason])
    return hashlib.sha256(f"recipient\n{text}".encode()).hexdigest()


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None
