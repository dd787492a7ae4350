"""The parcel list's query string, parsed once for the API, the pages and the CSV export.

Every bad value is an InvalidInput naming its parameter; an empty value (a form's untouched field) is no filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ordertrail.domain.analytics.drilldown import PARAMETERS as DRILLDOWN_PARAMETERS
from ordertrail.domain.analytics.drilldown import parse_drilldown
from ordertrail.domain.console.filters import MAX_LIMIT, ParcelFilter, Sort, aware, parse_search
from ordertrail.domain.errors import FieldProblem, InvalidInput
from ordertrail.domain.scanning.status import ATTEMPT_REASONS, EXCEPTION_REASONS, STATUS_BY_VALUE, Party

REASONS = frozenset(EXCEPTION_REASONS) | ATTEMPT_REASONS
PARAMETERS = (
    "status",
    "q",
    "merchant",
    "reason",
    "party",
    "facility",
    "country",
    "delayed",
    "stalled",
    "not_picked_up",
    "courier_early",
    "dwelling",
    "placed_after",
    "placed_before",
    "handled",
    "sort",
    *DRILLDOWN_PARAMETERS,
)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A parsed query: the filter (without its merchant, which the caller resolves by name), the page asked for."""

    filter: ParcelFilter
    merchant: str | None
    cursor: str | None
    limit: int


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if len(values) > 1:
        raise InvalidInput(f"Give {name} once.", field=name)
    return values[0] if values else None


def _flag(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise InvalidInput(f"{name} is true or false.", field=name)


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == 10:  # a date alone (the pages' date fields): midnight UTC
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        # A '+' of the offset arrives as a space when a query string was not encoded.
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise InvalidInput(f"{name} is an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z.", field=name) from None
    return aware(parsed, name)


def parse_query(params: Mapping[str, Sequence[str]], *, default_limit: int = 50) -> ListQuery:
    """Raises InvalidInput naming every bad parameter at once."""
    problems: list[FieldProblem] = []

    def attempt(name: str, parse):  # type: ignore[no-untyped-def]
        try:
            return parse()
        except InvalidInput as error:
            problems.extend(error.problems or [FieldProblem(name, error.detail)])
            return None

    def statuses() -> tuple[str, ...]:
        values = [v.strip() for v in params.get("status", ()) for v in v.split(",") if v.strip()]
        unknown = [v for v in values if v not in STATUS_BY_VALUE]
        if unknown:
            raise InvalidInput(f"Unknown status {unknown[0]!r}.", field="status")
        return tuple(dict.fromkeys(values))

    def reason() -> str | None:
        value = _one(params, "reason")
        if value is not None and value not in REASONS:
            raise InvalidInput(f"Unknown reason {value!r}.", field="reason")
        return value

    def party() -> Party | None:
        value = _one(params, "party")
        try:
            return Party(value) if value else None
        except ValueError:
            raise InvalidInput(f"party is one of {', '.join(p.value for p in Party)}.", field="party") from None

    def country() -> str | None:
        value = _one(params, "country")
        if value is not None and not (len(value) == 2 and value.isalpha()):
            raise InvalidInput("country is a two-letter ISO 3166 code, e.g. GB.", field="country")
        return value.upper() if value else None

    def sort() -> Sort:
        value = _one(params, "sort")
        try:
            return Sort(value) if value else Sort.PLACED_DESC
        except ValueError:
            choices = ", ".join(s.value for s in Sort)
            raise InvalidInput(f"sort is one of {choices}.", field="sort") from None

    def dwelling() -> bool:
        # Only true: "not dwelling" would be every other parcel, a list nobody asked for.
        value = _flag(_one(params, "dwelling"), "dwelling")
        if value is False:
            raise InvalidInput("dwelling takes true only.", field="dwelling")
        return bool(value)

    def limit() -> int:
        value = _one(params, "limit")
        if value is None:
            return default_limit
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
            raise InvalidInput(f"limit is a whole number from 1 to {MAX_LIMIT}.", field="limit")
        return int(value)

    def text(name: str, longest: int) -> str | None:
        value = _one(params, name)
        if value is not None and len(value) > longest:
            raise InvalidInput(f"{name} is at most {longest} characters.", field=name)
        return value

    parsed_statuses = attempt("status", statuses) or ()
    search = attempt("q", lambda: parse_search(" ".join(params.get("q", ())) or None))
    parsed = {
        "reason": attempt("reason", reason),
        "party": attempt("party", party),
        "facility": attempt("facility", lambda: text("facility", 200)),
        "country": attempt("country", country),
        "delayed": attempt("delayed", lambda: _flag(_one(params, "delayed"), "delayed")),
        "stalled": attempt("stalled", lambda: _flag(_one(params, "stalled"), "stalled")),
        "not_picked_up": attempt("not_picked_up", lambda: _flag(_one(params, "not_picked_up"), "not_picked_up")),
        "courier_early": attempt("courier_early", lambda: _flag(_one(params, "courier_early"), "courier_early")),
        "dwelling": attempt("dwelling", dwelling) or False,
        "placed_after": attempt("placed_after", lambda: _instant(_one(params, "placed_after"), "placed_after")),
        "placed_before": attempt("placed_before", lambda: _instant(_one(params, "placed_before"), "placed_before")),
        "handled": attempt("handled", lambda: _flag(_one(params, "handled"), "handled")),
    }
    chosen_sort = attempt("sort", sort) or Sort.PLACED_DESC
    counted = attempt("kpi", lambda: parse_drilldown(params))
    merchant = attempt("merchant", lambda: text("merchant", 200))
    cursor = attempt("cursor", lambda: text("cursor", 120))
    chosen_limit = attempt("limit", limit) or default_limit
    if problems:
        raise InvalidInput(problems[0].reason, problems=problems)
    parcel_filter = ParcelFilter(
        statuses=tuple(STATUS_BY_VALUE[s] for s in parsed_statuses),
        search=search,
        sort=chosen_sort,
        counted=counted,
        **parsed,
    )
    return ListQuery(parcel_filter, merchant, cursor, chosen_limit)
