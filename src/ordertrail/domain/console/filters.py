"""The parcel list's filters, one type for the API, the pages and the CSV export.

Search (``q``) takes what a person pastes: one term, or several numbers separated by spaces, commas, semicolons
or new lines. Every term is looked up as a tracking or order number (exact, indexed); a single term is also a
customer's email (exact, indexed), and text of letters without digits, '@', new lines, commas or semicolons
also a name (contains: the one reading that scans orders).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import EXCEPTION_REASONS, Party, Status

MAX_TERMS: Final = 200
MAX_LIMIT: Final = 200
_SEPARATORS = re.compile(r"[\s,;]+")
_LIST_SEPARATORS = re.compile(r"[\n\r,;]")


class Sort(StrEnum):
    """The list's orders: by when the order was placed (indexed), or by the latest scan."""

    PLACED_DESC = "-placed_at"
    PLACED_ASC = "placed_at"
    LAST_EVENT_DESC = "-last_event_at"
    LAST_EVENT_ASC = "last_event_at"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def column(self) -> str:
        return self.value.lstrip("-")


@dataclass(frozen=True, slots=True)
class Search:
    """What ``q`` asks for: numbers (upper-cased for tracking numbers), and for a single term its other readings."""

    numbers: tuple[str, ...]
    email: str | None = None
    name: str | None = None


def parse_search(text: str | None) -> Search | None:
    """``q`` as typed or pasted; None when it holds nothing. Raises InvalidInput for too many terms."""
    if text is None:
        return None
    terms = list(dict.fromkeys(t for t in _SEPARATORS.split(text.strip()) if t))
    if not terms:
        return None
    if len(terms) > MAX_TERMS:
        raise InvalidInput(f"Search at most {MAX_TERMS} numbers at once.", field="q")
    if any(len(t) > 320 for t in terms):
        raise InvalidInput("A search term is at most 320 characters.", field="q")
    # Text separated by spaces only may be a name ("grace hop"): it is also looked for as one; a list with new
    # lines, commas or semicolons is numbers only.
    # A name has letters, and no digits or '@' (numbers and emails do): only then the search also reads every
    # order's name, the one reading no index serves.
    whole = " ".join(text.split())
    looks_like_name = any(c.isalpha() for c in whole) and not any(c.isdigit() or c == "@" for c in whole)
    name = whole.lower()[:200] if looks_like_name and not _LIST_SEPARATORS.search(text.strip()) else None
    email = terms[0].lower() if len(terms) == 1 and "@" in terms[0] else None
    return Search(numbers=tuple(terms), email=email, name=name)


@dataclass(frozen=True, slots=True)
class ParcelFilter:
    """Every filter of the parcel list; ``merchant_ids`` None means every merchant the reader may see."""

    statuses: tuple[Status, ...] = ()
    search: Search | None = None
    merchant_ids: frozenset[int] | None = None
    reason: str | None = None
    party: Party | None = None  # who must act: the reason is one of that party's exception reasons
    facility: str | None = None
    country: str | None = None
    delayed: bool | None = None
    stalled: bool | None = None
    # Handed to a courier that sent nothing within the window (docs/couriers.md, "Reconciliation"); a courier
    # event dated before the dispatch scan.
    not_picked_up: bool | None = None
    courier_early: bool | None = None
    # Dwelling at a facility beyond its usual time (docs/analytics.md): resolved into ``parcel_ids`` like ``counted``.
    dwelling: bool = False
    placed_after: datetime | None = None
    placed_before: datetime | None = None
    # Whether its current exception was marked handled (domain/console/handling.py); the exceptions queue is
    # ``handled=false``. A parcel not in exception has nothing handled.
    handled: bool | None = None
    sort: Sort = Sort.PLACED_DESC
    # The parcels an analytics figure counted (docs/analytics.md): resolved into ``parcel_ids`` by the service.
    counted: Drilldown | None = None
    parcel_ids: frozenset[int] | None = None

    @property
    def party_reasons(self) -> tuple[str, ...]:
        """The exception reasons of ``party`` (sorted: the same query each time)."""
        return tuple(sorted(r for r, who in EXCEPTION_REASONS.items() if who is self.party))

    def within(self, scope: frozenset[int] | None) -> ParcelFilter:
        """This filter narrowed to the merchants of ``scope`` (None: no narrowing)."""
        if scope is None:
            return self
        chosen = scope if self.merchant_ids is None else self.merchant_ids & scope
        return replace(self, merchant_ids=frozenset(chosen))


def aware(value: datetime | None, field: str) -> datetime | None:
    """A date-time filter must carry its UTC offset; raises InvalidInput naming ``field``."""
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{field} needs a UTC offset (e.g. 2026-12-01T00:00:00Z).", field=field)
    return value


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: its sort order and the sort key of its last row (the sort value in microseconds since
    the epoch, then the ids that break ties)."""

    sort: Sort
    key: tuple[int, ...]

    def encode(self) -> str:
        raw = "|".join([self.sort.value, *map(str, self.key)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, sort: Sort) -> Position:
        """Raises InvalidInput unless ``cursor`` came from a page sorted the same way."""
        try:
            if len(cursor) > 120:
                raise ValueError(cursor)
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            sort_value, *key = raw.split("|")
            position = cls(Sort(sort_value), tuple(int(k) for k in key))
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("The cursor is not one this list returned.", field="cursor") from None
        if position.sort is not sort:
            raise InvalidInput("The cursor belongs to another sort order: start again.", field="cursor")
        if len(position.key) != (3 if sort.column == "placed_at" else 2):
            raise InvalidInput("The cursor is not one this list returned.", field="cursor")
        return position


@dataclass(frozen=True, slots=True)
class ListedParcel:
    """One row of the parcel list (and of its CSV export)."""

    id: int
    order_id: int
    tracking_number: str
    order_number: str
    merchant: str
    status: Status
    reason: str | None
    customer_name: str
    customer_email: str | None  # None: the reader may not see the customer's contact (Permission.CONTACT)
    destination_country: str
    placed_at: datetime
    last_event_at: datetime
    delayed: bool
    stalled_at: datetime | None = None
    # Its estimate state (docs/eta.md), for the API's parcel documents.
    step: str | None = None
    stall_after: datetime | None = None
    delay_reason: str | None = None
    promise: date | None = None
    estimate: tuple[date, date, float] | None = None  # earliest, latest, confidence

    @property
    def stalled(self) -> bool:
        return self.stalled_at is not None

    def document(self) -> dict[str, Any]:
        """The row as the API and the CSV export give it (instants in ISO 8601, UTC)."""
        return {
            "tracking_number": self.tracking_number,
            "order_number": self.order_number,
            "merchant": self.merchant,
            "status": self.status.value,
            "reason": self.reason,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "destination_country": self.destination_country,
            "placed_at": self.placed_at.isoformat(),
            "last_event_at": self.last_event_at.isoformat(),
            "delayed": self.delayed,
            "stalled": self.stalled,
            "stalled_at": _iso(self.stalled_at),
            "stall_after": _iso(self.stall_after),
            "step": self.step,
            "delay_reason": self.delay_reason,
            "promised_delivery_date": _iso(self.promise),
            "estimated_delivery": None
            if self.estimate is None
            else {
                "earliest": self.estimate[0].isoformat(),
                "latest": self.estimate[1].isoformat(),
                "confidence": self.estimate[2],
            },
        }

    def position(self, sort: Sort) -> Position:
        if sort.column == "placed_at":
            return Position(sort, (micros(self.placed_at), self.order_id, self.id))
        return Position(sort, (micros(self.last_event_at), self.id))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def micros(at: datetime) -> int:
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def instant(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
