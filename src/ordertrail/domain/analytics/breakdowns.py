"""The figures split by one key (``by=``): per lane, per origin facility, or per reason code. Each group is
computed by ``figures`` over its own parcels, so a group's figure means exactly what the total's does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ordertrail.domain.analytics.drilldown import NO_ORIGIN, NO_SERVICE_LEVEL, lane_params
from ordertrail.domain.analytics.figures import Figures, counts_anywhere, figures
from ordertrail.domain.analytics.journeys import Journey
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.errors import InvalidInput


class By(StrEnum):
    LANE = "lane"
    FACILITY = "facility"
    SERVICE_LEVEL = "service_level"
    REASON = "reason"


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown: what it is keyed by, the parcel-list parameters that narrow a link to it, and its
    figures."""

    key: dict[str, str | None]
    params: list[tuple[str, str]]
    figures: Figures


def parse_by(text: str | None, allowed: Sequence[By]) -> By | None:
    """``by`` as given (None: no breakdown). Raises InvalidInput naming ``by``."""
    if text is None or not text.strip():
        return None
    try:
        by = By(text.strip())
    except ValueError:
        raise InvalidInput(f"by is one of {', '.join(b.value for b in By)}.", field="by") from None
    if by not in allowed:
        raise InvalidInput(f"by here is one of {', '.join(b.value for b in allowed)}.", field="by")
    return by


def breakdown(journeys: Sequence[Journey], period: Period, as_of: date, by: By) -> list[Group]:
    """Per lane, origin facility or service level: the figures of the parcels with that key (groups no figure
    counts a parcel of are left out), sorted by key. (By reason the figures carry their own ``by_reason`` split.)"""
    counted = [j for j in journeys if counts_anywhere(j, period, as_of)]
    if by is By.SERVICE_LEVEL:
        return _by_service_level(counted, period, as_of)
    members: dict[tuple[str, str], list[Journey]] = defaultdict(list)
    for journey in counted:
        origin = journey.lane.origin or ""
        members[(origin, journey.lane.country if by is By.LANE else "")].append(journey)
    groups = []
    for (origin, country), group in sorted(members.items()):
        key: dict[str, str | None] = {"origin": origin or None}
        params = [("origin", origin or NO_ORIGIN)]
        if by is By.LANE:
            key["destination_country"] = country
            params = lane_params(group[0].lane)
        groups.append(Group(key, params, figures(group, period, as_of)))
    return groups


def _by_service_level(counted: Sequence[Journey], period: Period, as_of: date) -> list[Group]:
    """Per service level of the parcels' current courier handover; those with none (not handed over, or handed
    over without one) are one group keyed null, first."""
    members: dict[str, list[Journey]] = defaultdict(list)
    for journey in counted:
        members[journey.service_level or ""].append(journey)
    return [
        Group(
            {"service_level": level or None},
            [("service_level", level or NO_SERVICE_LEVEL)],
            figures(group, period, as_of),
        )
        for level, group in sorted(members.items())
    ]
