"""What the aggregators' readers share: the event they read, and the checks on a document's shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ordertrail.domain.errors import InvalidInput

# The generic format's limit on a description (``Note``): a longer carrier text is cut, not refused.
_DESCRIPTION_MAX: Final = 500


@dataclass(frozen=True, slots=True)
class ForeignEvent:
    """One event as an aggregator reported it: its name of the courier, the event in the generic shape."""

    carrier: str
    item: dict[str, Any]
    vocabulary: str | None  # whose codes ``item["code"]`` is in (None: the courier's own)


def field_of(document: Any, name: str, *, where: str) -> Any:
    """``document[name]``; raises InvalidInput naming ``where`` when the document is not an object."""
    if not isinstance(document, dict):
        raise InvalidInput("must be an object", field=where)
    return document.get(name)


def listed(value: Any, *, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput("must be an array", field=where)
    return value


def text(value: Any) -> str | None:
    """A non-empty string, else None (aggregators send null, "" or numbers where they have nothing)."""
    return value.strip() or None if isinstance(value, str) else None


def description(value: Any) -> str | None:
    found = text(value)
    return None if found is None else found[:_DESCRIPTION_MAX]


def as_utc_if_naive(value: Any) -> Any:
    """An ISO time without an offset read as UTC (the sender gives none); anything else is left to the schema."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{value}+00:00" if parsed.tzinfo is None else value


def place(*, city: Any = None, region: Any = None, postal_code: Any = None, country: Any = None) -> dict[str, str]:
    """The generic ``location``: only what is present; a country only as two letters (ISO 3166-1 alpha-2)."""
    found = {"city": text(city), "region": text(region), "postal_code": text(postal_code)}
    code = text(country)
    if code is not None and len(code) == 2 and code.isalpha():
        found["country"] = code
    return {name: value for name, value in found.items() if value is not None}


def item(
    *, event_id: str, tracking_number: Any, code: str, occurred_at: Any, text_: Any, where: dict[str, str]
) -> dict[str, Any]:
    """An event in the generic shape (``CourierEventIn``), without the fields the sender left empty."""
    found: dict[str, Any] = {
        "id": event_id,
        "tracking_number": tracking_number,
        "code": code,
        "occurred_at": occurred_at,
        "description": description(text_),
        "location": where or None,
    }
    return {name: value for name, value in found.items() if value is not None}
