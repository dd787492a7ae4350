"""What every analytics route is asked (``from``, ``to``, ``merchant``, ``format``), as one dependency, and how it
answers: JSON, or one of its tables as streamed CSV (``format=csv`` or ``Accept: text/csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from fastapi import Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from ordertrail.domain.analytics.period import Period, parse_period
from ordertrail.http.deps import ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console.readers import merchant_named

# A cell starting so would be read as a formula by a spreadsheet: kept as text.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class AnalyticsQuery:
    period: Period
    merchant: str | None  # as asked
    scope: frozenset[int] | None  # the merchants counted (None: every merchant)
    extra: list[tuple[str, str]]  # the parcel-list parameters saying so, for the links
    csv: bool


async def analytics_query(
    request: Request,
    reader: ReaderDep,
    services: ServicesDep,
    start: Annotated[str | None, Query(alias="from", description="First local date, YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last local date, YYYY-MM-DD (at most 366 days)")] = None,
    merchant: Annotated[str | None, Query(description="A merchant's name (admin keys, staff of several)")] = None,
    answer_format: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="csv: the route's table as CSV (as `Accept: text/csv` asks)"),
    ] = None,
) -> AnalyticsQuery:
    """The period and the merchants counted: the reader's, or the one named among them. Raises InvalidInput
    naming ``from`` or ``to``, Forbidden for a merchant the reader does not see."""
    period = parse_period(start, end)
    wants_csv = answer_format == "csv" or (answer_format is None and "text/csv" in request.headers.get("accept", ""))
    if not merchant:
        return AnalyticsQuery(period, None, reader.scope, [], wants_csv)
    scope = frozenset({await merchant_named(services, reader, merchant)})
    return AnalyticsQuery(period, merchant, scope, [("merchant", merchant)], wants_csv)


AnalyticsQueryDep = Annotated[AnalyticsQuery, Depends(analytics_query)]


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted column names (``vs_promise.value``)."""
    flat: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _cell(value: Any) -> str:
    text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _lines(rows: list[dict[str, Any]]) -> Iterator[bytes]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    lines: list[list[Any]] = [[*columns], *([row.get(c) for c in columns] for row in rows)]
    for values in lines:
        writer.writerow([_cell(v) for v in values])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def answer(query: AnalyticsQuery, document: dict[str, Any], table: Iterable[Mapping[str, Any]], name: str) -> Response:
    """The document as JSON, or (CSV asked) ``table``'s rows flattened, one line at a time."""
    if not query.csv:
        return json_response(document)
    rows = [flatten(row) for row in table]
    filename = f"{name}-{query.period.start.isoformat()}-{query.period.end.isoformat()}.csv"
    return StreamingResponse(
        _lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
