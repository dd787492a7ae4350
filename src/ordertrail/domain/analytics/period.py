"""A reporting period: a run of local dates, both ends included, parsed from the query string."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from ordertrail.domain.errors import FieldProblem, InvalidInput

MAX_DAYS: Final = 366


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` to ``end``, both included: local dates, compared with an event's date where it happened."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def widened(self) -> tuple[date, date]:
        """UTC dates around the period that hold every instant whose local date is in it (offsets < 24 h):
        from the day before ``start`` up to, not including, two days after ``end``."""
        return self.start - timedelta(days=1), self.end + timedelta(days=2)


def _date(text: str | None, field: str) -> date:
    if text is None or not text.strip():
        raise InvalidInput(f"{field} is required: a date, e.g. 2026-12-01.", field=field)
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} is a date YYYY-MM-DD, e.g. 2026-12-01.", field=field) from None


def parse_period(start: str | None, end: str | None) -> Period:
    """``from`` and ``to`` as given. Raises InvalidInput naming each bad field, from after to, or too long a range."""
    problems: list[FieldProblem] = []
    dates: dict[str, date] = {}
    for field, text in (("from", start), ("to", end)):
        try:
            dates[field] = _date(text, field)
        except InvalidInput as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInput(problems[0].reason, problems=problems)
    period = Period(dates["from"], dates["to"])
    if period.start > period.end:
        raise InvalidInput("from is after to.", field="from")
    if period.days > MAX_DAYS:
        raise InvalidInput(f"The period is at most {MAX_DAYS} days.", field="to")
    return period
