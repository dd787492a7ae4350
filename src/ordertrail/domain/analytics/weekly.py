"""The weekly report's rules: which week it covers, who receives it, and which lanes and facilities were worst."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ordertrail.domain.analytics.breakdowns import Group
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.errors import InvalidInput

WEEKLY_REPORT = "weekly_report"  # the outbox kind (event_type) and the email templates' name
MAX_RECIPIENTS = 10
WORST_SHOWN = 3


def last_full_week(now: datetime) -> Period:
    """The last Monday–Sunday wholly before ``now`` (in UTC): at Monday 00:00 UTC the week before is due."""
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, spaces or lines, lower-cased, each once. Raises InvalidInput (``recipients``)."""
    found: list[str] = []
    for part in text.replace(",", " ").split():
        address = part.strip().lower()
        local, at, domain = address.partition("@")
        if not at or not local or "." not in domain or len(address) > 320:
            raise InvalidInput(f"{part!r} is not an email address.", field="recipients")
        if address not in found:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise InvalidInput(f"At most {MAX_RECIPIENTS} addresses.", field="recipients")
    return found


def late_count(group: Group) -> int:
    """Delivered parcels of the group that came after their promised date."""
    rate = group.figures.rates[Kpi.ON_TIME_VS_PROMISE]
    return rate.denominator - rate.numerator


def worst(groups: Sequence[Group], shown: int = WORST_SHOWN) -> list[Group]:
    """The worst groups of a week: those with at least one parcel delivered after its promise, most such parcels
    first, then the lower on-time rate, then by key. A group with none late is never "worst"."""
    late = [g for g in groups if late_count(g) > 0]

    def order(group: Group) -> tuple[int, float, str]:
        value = group.figures.rates[Kpi.ON_TIME_VS_PROMISE].value or 0.0
        return (-late_count(group), value, str(sorted((k, v or "") for k, v in group.key.items())))

    return sorted(late, key=order)[:shown]
