"""A parcel's journey as the sequence of steps it went through, read from its events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, NamedTuple

from ordertrail.domain.scanning.derivation import Derivation, derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import STATUS_BY_VALUE, Status
from ordertrail.domain.scanning.transitions import Effect

# Hub scans are told apart by their position (first hub, second hub...); routes rarely have more.
MAX_HUB: Final = 4
# Steps from which a parcel is not on its way to the customer: no estimate.
NO_ESTIMATE: Final = frozenset(
    {Status.DELIVERED.value, Status.RETURNING.value, Status.RETURNED.value, Status.CANCELLED.value}
)


class StepVisit(NamedTuple):
    """The parcel entered ``step`` at ``started_at``; it stays there until the next visit starts."""

    step: str
    started_at: datetime


def step_status(step: str) -> Status:
    """The status a step name stands for (``in_transit.2`` -> in_transit)."""
    return Status(step.split(".", 1)[0])


def step_visits(events: Iterable[ScanEvent]) -> tuple[StepVisit, ...]:
    """The steps a parcel went through, in the order they happened (corrections and regressions applied)."""
    return visits_of(derive(events))


_HUB_STEPS: Final = tuple(f"{Status.IN_TRANSIT.value}.{n}" for n in range(MAX_HUB + 1))


def hub_step(hubs: int) -> str:
    """The step of a parcel after its ``hubs``-th hub scan (``in_transit.1`` … ``in_transit.4``, the last for any
    further hub)."""
    return _HUB_STEPS[min(hubs, MAX_HUB)]


def visits_of(derivation: Derivation) -> tuple[StepVisit, ...]:
    """The steps of an already derived parcel (scan ingest has the derivation at hand: no second replay)."""
    visits: list[StepVisit] = []
    hubs = 0
    for entry in derivation.timeline:
        if entry.effect is not Effect.APPLIED:
            continue
        status = STATUS_BY_VALUE[entry.event.status]
        if status is Status.IN_TRANSIT:
            hubs += 1
            step = hub_step(hubs)
        else:
            step = status.value
        visits.append(StepVisit(step, entry.event.occurred_at))
    return tuple(visits)


def _origin_event(events: Iterable[ScanEvent]) -> ScanEvent | None:
    located = [e for e in events if e.location.facility and not e.is_correction]
    return min(located, key=lambda e: e.occurred_at) if located else None


def origin_facility(events: Iterable[ScanEvent]) -> str | None:
    """The facility of the parcel's first scan that names one: where it left from."""
    first = _origin_event(events)
    return first.location.facility if first else None


def origin_region(events: Iterable[ScanEvent], destination_country: str) -> str | None:
    """The region of the origin facility's scan as a lane keys it (``US-CA``; the destination's country when
    the scan names none, as a history file's rows are read), or None: a sparse seller backs off to its region."""
    first = _origin_event(events)
    if first is None or not first.location.region or not first.location.region.strip():
        return None
    country = (first.location.country or destination_country).upper()
    region = first.location.region.strip().upper()
    return region if region.startswith(f"{country}-") else f"{country}-{region}"
