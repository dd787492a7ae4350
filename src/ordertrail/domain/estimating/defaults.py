"""The estimate used where a lane has no history yet: configured days per step, per service level."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from ordertrail.domain.estimating.journey import step_status
from ordertrail.domain.scanning.status import MAIN_MILESTONES, Status

S = Status

# Main-path steps a parcel still has ahead of each status (in_transit: the rest of the line haul).
_AHEAD: Final[dict[Status, tuple[Status, ...]]] = {
    status: MAIN_MILESTONES[index:-1] for index, status in enumerate(MAIN_MILESTONES)
}
# A side status resumes the main path here, after its own delay (see ServiceDefaults.side_days).
_RESUMES_AT: Final[dict[Status, Status]] = {
    S.EXCEPTION: S.IN_TRANSIT,
    S.DELIVERY_ATTEMPTED: S.OUT_FOR_DELIVERY,
    S.AVAILABLE_FOR_PICKUP: S.OUT_FOR_DELIVERY,
}


def _frozen(values: Mapping[Status, float]) -> Mapping[Status, float]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class ServiceDefaults:
    """Days a parcel of one service level usually spends in each step, and how wide the window is."""

    step_days: Mapping[Status, float]  # days spent in a main-path status before the next one
    side_days: Mapping[Status, float]  # extra days after an exception, a failed attempt, a pickup notice
    slack_days: int = 1  # delivery days added after the expected one for the latest date
    confidence: float = 0.5  # what we claim for a guess that no history supports

    def days_ahead(self, step: str) -> float:
        """Expected days until delivery from the start of ``step``; never less for an earlier step."""
        status = step_status(step)
        extra = self.side_days.get(status, 0.0)
        main = _RESUMES_AT.get(status, status)
        return extra + sum(self.step_days.get(s, 0.0) for s in _AHEAD.get(main, ()))

    def window(self, step: str) -> tuple[int, int]:
        """(earliest, latest) in delivery days from the start of ``step``."""
        days = self.days_ahead(step)
        return math.floor(days), math.ceil(days) + self.slack_days


STANDARD: Final = ServiceDefaults(
    step_days=_frozen(
        {
            S.ORDER_PLACED: 0.3,
            S.PROCESSING: 0.3,
            S.PACKED: 0.4,
            S.DISPATCHED: 1.0,
            S.IN_TRANSIT: 1.0,
            S.OUT_FOR_DELIVERY: 0.0,
        }
    ),
    side_days=_frozen({S.EXCEPTION: 2.0, S.DELIVERY_ATTEMPTED: 1.0, S.AVAILABLE_FOR_PICKUP: 1.0}),
)
EXPRESS: Final = ServiceDefaults(
    step_days=_frozen({status: days / 2 for status, days in STANDARD.step_days.items()}),
    side_days=STANDARD.side_days,
)
ECONOMY: Final = ServiceDefaults(
    step_days=_frozen({status: days * 2 for status, days in STANDARD.step_days.items()}),
    side_days=STANDARD.side_days,
    slack_days=2,
)


@dataclass(frozen=True, slots=True)
class DefaultsBook:
    """Defaults per service level; an unknown level gets ``standard``."""

    levels: Mapping[str, ServiceDefaults] = field(
        default_factory=lambda: MappingProxyType({"standard": STANDARD, "express": EXPRESS, "economy": ECONOMY})
    )

    def for_level(self, level: str) -> ServiceDefaults:
        return self.levels.get(level, self.levels.get("standard", STANDARD))
