"""What every request schema shares: unknown fields refused, and the common shapes, each carrying its domain rule.

The rules themselves live in ``domain/inputs.py``; here they become pydantic validators, so a value that breaks
one is answered 422 naming the field before anything reaches a store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from ordertrail.domain import inputs


def _rule(check: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        reason = check(value)
        if reason is not None:
            # A custom error, not ValueError: its message is the rule's reason, without pydantic's prefix.
            raise PydanticCustomError("input_rule", reason)
        return value

    return validate


def _instant(value: Any) -> Any:
    """RFC 3339 text with an offset, in the accepted range; before pydantic's parsing, which would also take a
    unix number or a time without an offset. One validator for both checks: it runs for every scan."""
    if isinstance(value, datetime):
        reason = inputs.instant_problem(value)  # built in Python (tests, the CLI), not parsed from JSON
    else:
        reason = inputs.rfc3339_problem(value)
        if reason is None and not 2000 < int(value[:4]) < 9999:  # else no offset can take it out of range
            try:
                reason = inputs.instant_problem(datetime.fromisoformat(value.upper().replace(" ", "T")))
            except ValueError:
                return value  # not a real date (month 13): pydantic says so
    if reason is not None:
        raise PydanticCustomError("input_rule", reason)
    return value


plain = AfterValidator(_rule(inputs.text_problem))
_multiline = AfterValidator(_rule(lambda value: inputs.text_problem(value, multiline=True)))

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), plain]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), plain]
# A free text that may span lines (line breaks and tabs; no other control characters).
Note = Annotated[str, StringConstraints(max_length=500), _multiline]
Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
    AfterValidator(_rule(inputs.country_problem)),
    Field(description="ISO 3166-1 alpha-2 country code (or XK), e.g. DE"),
]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), plain]
OrderNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=inputs.ORDER_NUMBER_MAX),
    AfterValidator(_rule(inputs.order_number_problem)),
    Field(
        description="Letters and digits of any script, inner spaces and - _ . # (no '/', no control "
        f"characters), at most {inputs.ORDER_NUMBER_MAX}; it starts with a letter or digit. Percent-encode it in "
        "URLs."
    ),
]
# An order number as a lookup (a path segment, a list of numbers): only what any store can be asked for, so
# orders stored before the alphabet rule stay reachable.
OrderNumberRef = Annotated[str, StringConstraints(min_length=1, max_length=100), plain]
# An instant as RFC 3339 text with an offset, from 2000-01-01T00:00:00Z on (the future bound needs the clock: the
# use cases check it).
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_instant),
    Field(json_schema_extra={"format": "date-time"}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
