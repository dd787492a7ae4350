"""A shop's delivery history as CSV: one row per event, read into journeys to learn from or to backtest.

The format (docs/eta.md, "Importing a delivery history"): a header with fixed names, unknown columns ignored::

    parcel, status, occurred_at, facility, region, postal_code, country,
    destination_region, destination_postal_code, destination_country, promised_date

``status`` is one of ordertrail's statuses, ``occurred_at`` RFC 3339 with an offset; ``facility`` … ``country``
say where the event happened (the first event naming a facility is the origin); the destination and
``promised_date`` (YYYY-MM-DD) may be given on any row of the parcel. A bad row is reported with its line
number and reason and skipped; the rest of its parcel is kept. Pure: the caller opens the file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Final

from ordertrail.domain.estimating.journey import StepVisit, hub_step, step_visits
from ordertrail.domain.estimating.lanes import ANY, Lane
from ordertrail.domain.scanning.derivation import order_key
from ordertrail.domain.scanning.events import NOWHERE, Location, ScanEvent
from ordertrail.domain.scanning.status import STATUS_BY_VALUE, Status
from ordertrail.domain.scanning.transitions import RANK

COLUMNS: Final = (
    "parcel",
    "status",
    "occurred_at",
    "facility",
    "region",
    "postal_code",
    "country",
    "destination_region",
    "destination_postal_code",
    "destination_country",
    "promised_date",
)
REQUIRED: Final = ("parcel", "status", "occurred_at")
PROGRESS_EVERY: Final = 10_000  # rows between progress reports


class HistoryFormatError(ValueError):
    """The file cannot be read at all (no header, required columns missing): nothing is imported."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row (or a parcel, at its first row) that was skipped, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class HistoryParcel:
    """One parcel of the history: its events, lane and destination, and the shop's promise if given."""

    tracking_number: str
    lane: Lane
    country: str
    region: str | None
    placed_at: datetime
    delivered_at: datetime
    events: tuple[ScanEvent, ...]
    promised: date | None = None
    steps: tuple[StepVisit, ...] = ()  # the steps of ``events`` (replayed once, when the file was read)

    def visits(self) -> tuple[StepVisit, ...]:
        """The parcel's steps, as ``step_visits(events)`` gives them."""
        return self.steps or step_visits(self.events)


@dataclass(slots=True)
class HistoryRead:
    """What a file held: delivered parcels (in the order they were placed), bad rows, and what was left aside."""

    parcels: list[HistoryParcel] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    rows: int = 0
    undelivered: int = 0  # parcels without a delivery (still on their way, returned...): nothing to learn


@dataclass(slots=True)
class _Gathering:
    """A parcel's rows so far."""

    first_line: int
    events: list[ScanEvent] = field(default_factory=list)
    origin: tuple[datetime, str, str | None] | None = None  # earliest event naming a facility, and its region
    country: str | None = None
    region: str | None = None
    postal_code: str | None = None
    promised: date | None = None


@lru_cache(maxsize=4096)  # a file names few countries and promise dates, on most of its rows
def _country(value: str, name: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"{name} {value!r} is not a two-letter country code")
    return code


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"occurred_at {value!r} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise ValueError(f"occurred_at {value!r} has no UTC offset")
    return moment


@lru_cache(maxsize=4096)
def _promise(value: str) -> date:
    try:
        if len(value.strip()) != 10:
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"promised_date {value!r} is not YYYY-MM-DD") from None


def _positions(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise HistoryFormatError(f"the header has no {', '.join(missing)} column (it has: {', '.join(names)})")
    return {name: names.index(name) for name in COLUMNS if name in names}


def read_history(lines: Iterable[str], *, progress: Callable[[int], None] = lambda _: None) -> HistoryRead:
    """Read a history file's lines (``open(path, newline="")``); raises HistoryFormatError without a usable header."""
    reader = csv.reader(lines, skipinitialspace=True)
    try:
        header = next(reader)
    except StopIteration:
        raise HistoryFormatError("the file is empty: no header") from None
    at = _positions(header)
    width = len(header)
    # One C call picks every column of a row; an absent column reads the empty cell appended to each row.
    pick = itemgetter(*(at.get(name, width) for name in COLUMNS))
    result = HistoryRead()
    parcels: dict[str, _Gathering] = {}
    rows = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line is not a row
        rows += 1
        if rows % PROGRESS_EVERY == 0:
            progress(rows)
        if len(row) != width:
            result.bad_rows.append(BadRow(reader.line_num, f"{len(row)} fields where the header has {width}"))
            continue
        row.append("")
        try:
            _take(parcels, pick(row), reader.line_num)
        except ValueError as error:
            result.bad_rows.append(BadRow(reader.line_num, str(error)))
    result.rows = rows
    progress(rows)
    for name, gathered in parcels.items():
        _finish(result, name, gathered)
    result.parcels.sort(key=lambda p: (p.placed_at, p.tracking_number))
    result.bad_rows.sort(key=lambda b: b.line)
    return result


def _take(parcels: dict[str, _Gathering], cells: tuple[str, ...], line: int) -> None:
    """Add one row to its parcel; raises ValueError (the reason) for a bad row, which changes nothing."""
    name, status_text, when, facility, region, postal_code, scan_country, to_region, to_postal, to_country, promise = (
        cells
    )
    name = name.strip()
    if not name:
        raise ValueError("parcel is empty")
    status = STATUS_BY_VALUE.get(status_text) or STATUS_BY_VALUE.get(status_text.strip().lower())
    if status is None:
        raise ValueError(f"status {status_text!r} is not one of ordertrail's statuses")
    moment = _moment(when)
    if facility or region or postal_code or scan_country:
        location = Location(
            facility=facility or None,
            region=region or None,
            postal_code=postal_code or None,
            country=_country(scan_country, "country") if scan_country else None,
        )
    else:
        location = NOWHERE
    country = _country(to_country, "destination_country") if to_country else None
    promised = _promise(promise) if promise else None
    gathered = parcels.get(name) or _Gathering(first_line=line)  # kept only once the row proves good
    if country or to_region or to_postal or promised:
        _check_same(gathered, country, to_region or None, to_postal or None, promised)
        gathered.country = country or gathered.country
        gathered.region = to_region or gathered.region
        gathered.postal_code = to_postal or gathered.postal_code
        gathered.promised = promised or gathered.promised
    parcels[name] = gathered
    if facility and (gathered.origin is None or moment < gathered.origin[0]):
        gathered.origin = (moment, facility, f"{location.country or ANY}-{region}" if region else None)
    gathered.events.append(ScanEvent(str(line), line, status, moment, moment, None, location))


def _check_same(
    gathered: _Gathering, country: str | None, region: str | None, postal: str | None, promised: date | None
) -> None:
    """A parcel has one destination and one promise: a row contradicting an earlier one is bad."""
    for name, new, old in (
        ("destination_country", country, gathered.country),
        ("destination_region", region, gathered.region),
        ("destination_postal_code", postal, gathered.postal_code),
        ("promised_date", promised, gathered.promised),
    ):
        if new is not None and old is not None and new != old:
            raise ValueError(f"{name} {new} contradicts {old} given earlier for this parcel")


def _finish(result: HistoryRead, name: str, gathered: _Gathering) -> None:
    """Turn a parcel's rows into a journey. Repeated rows are reported and dropped; a parcel without a
    destination country, or with nothing but its delivery, is reported at its first row."""
    events = sorted(gathered.events, key=order_key)
    kept = [events[0]]
    for event in events[1:]:
        last = kept[-1]
        if (event.status, event.occurred_at) == (last.status, last.occurred_at):
            result.bad_rows.append(
                BadRow(event.sequence, f"the same {event.status} at the same time as line {last.sequence}")
            )
        else:
            kept.append(event)
    visits = _main_path_visits(kept) or step_visits(kept)
    if not visits or visits[-1].step != Status.DELIVERED.value:
        result.undelivered += 1
        return
    if gathered.country is None:
        result.bad_rows.append(BadRow(gathered.first_line, f"parcel {name!r} has no destination_country on any row"))
        return
    if len(visits) < 2:
        result.bad_rows.append(BadRow(gathered.first_line, f"parcel {name!r} has only its delivery: nothing to learn"))
        return
    origin, origin_region = (gathered.origin[1], gathered.origin[2]) if gathered.origin else (ANY, None)
    if origin_region is not None and origin_region.startswith(f"{ANY}-"):  # the scan named no country
        origin_region = f"{gathered.country}-{origin_region[2:]}"
    result.parcels.append(
        HistoryParcel(
            tracking_number=name,
            lane=Lane.of(
                origin, gathered.country, gathered.postal_code, origin_region=origin_region, region=gathered.region
            ),
            country=gathered.country,
            region=gathered.region,
            placed_at=visits[0].started_at,
            delivered_at=visits[-1].started_at,
            events=tuple(kept),
            promised=gathered.promised,
            steps=visits,
        )
    )


def _main_path_visits(events: list[ScanEvent]) -> tuple[StepVisit, ...] | None:
    """The steps of a journey that only moves forward along the main milestones (in replay order), the usual
    history export; None for anything else (side statuses, repeats, moves back), which ``step_visits`` replays.

    Every such event is applied by the replay rules, so this is what ``step_visits`` gives, without building a
    derivation for each of a million rows' parcels (a test checks both agree).
    """
    visits: list[StepVisit] = []
    rank, hubs = -1, 0
    for event in events:
        status = event.status
        position = RANK.get(status) if isinstance(status, Status) else None
        if position is None or not isinstance(status, Status):
            return None
        if status is Status.IN_TRANSIT:
            if position < rank:
                return None
            hubs += 1
            visits.append(StepVisit(hub_step(hubs), event.occurred_at))
        elif position <= rank:
            return None
        else:
            visits.append(StepVisit(status.value, event.occurred_at))
        rank = position
    return tuple(visits)


def iter_lines(path_lines: Iterator[str]) -> Iterator[str]:
    """The lines of a file without a byte-order mark at its start (spreadsheets write one)."""
    first = next(path_lines, None)
    if first is None:
        return
    yield first.removeprefix("\ufeff")
    yield from path_lines
