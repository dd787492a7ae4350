"""The figures over a period: rates with their numerator and denominator, durations, and the same per lane."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ordertrail.domain.analytics.journeys import Journey, Lane
from ordertrail.domain.analytics.kpis import (
    BY_PART,
    BY_REASON,
    OUTCOMES,
    Kpi,
    outcome,
    parties,
    parts,
    reasons,
    transit_days,
    transit_hours,
)
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.spans import STEPS
from ordertrail.domain.analytics.stats import Durations, durations
from ordertrail.domain.scanning.status import Party

RATES = (
    Kpi.ON_TIME_VS_PROMISE,
    Kpi.ON_TIME_VS_FIRST_ESTIMATE,
    Kpi.INSIDE_FIRST_WINDOW,
    Kpi.FIRST_ATTEMPT,
    Kpi.EXCEPTIONS,
    Kpi.FAILED_ATTEMPTS,
)
TRANSITS = (Kpi.TRANSIT_FROM_DISPATCH, Kpi.TRANSIT_FROM_ORDER)


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """None when nothing was counted: a rate of nothing is not 0 %."""
        return None if self.denominator == 0 else self.numerator / self.denominator


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of one group of parcels (all of them, or one lane)."""

    rates: dict[Kpi, Rate]
    by_reason: dict[Kpi, dict[str, Rate]]  # reason code -> rate, for the figures of BY_REASON
    late_open: int
    transits: dict[Kpi, Durations]
    # Who must act -> the exception rate of that party's reasons: every party, in Party's order (0 where none).
    by_party: dict[Party, Rate] = field(default_factory=dict)
    transit_days: dict[Kpi, Durations] = field(default_factory=dict)  # the same parcels as transits, in delivery days


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    as_of: date
    total: Figures
    lanes: dict[Lane, Figures] = field(default_factory=dict)


def figures(journeys: Sequence[Journey], period: Period, as_of: date) -> Figures:
    """The figures of ``journeys`` over ``period``."""
    rates: dict[Kpi, Rate] = {}
    by_reason: dict[Kpi, dict[str, Rate]] = {}
    by_party: dict[Party, Rate] = {}
    for kpi in RATES:
        numerator_outcome = OUTCOMES[kpi][0]
        counted = [(j, o) for j in journeys if (o := outcome(j, kpi, period, as_of)) is not None]
        rates[kpi] = Rate(sum(1 for _, o in counted if o is numerator_outcome), len(counted))
        if kpi in BY_REASON:
            per_reason: dict[str, int] = defaultdict(int)
            for journey, _ in counted:
                for reason in reasons(journey, kpi):
                    per_reason[reason] += 1
            by_reason[kpi] = {r: Rate(n, len(counted)) for r, n in sorted(per_reason.items())}
        if kpi is Kpi.EXCEPTIONS:
            numerator = [j for j, o in counted if o is numerator_outcome]
            by_party = {p: Rate(sum(1 for j in numerator if p in parties(j, kpi)), len(counted)) for p in Party}
    transits: dict[Kpi, Durations] = {}
    days: dict[Kpi, Durations] = {}
    for kpi in TRANSITS:
        counted_transits = [j for j in journeys if outcome(j, kpi, period, as_of) is not None]
        transits[kpi] = durations([h for j in counted_transits if (h := transit_hours(j, kpi)) is not None])
        days[kpi] = durations([d for j in counted_transits if (d := transit_days(j, kpi)) is not None])
    late_open = sum(1 for j in journeys if outcome(j, Kpi.LATE_OPEN, period, as_of) is not None)
    return Figures(rates, by_reason, late_open, transits, by_party, days)


def counts_anywhere(journey: Journey, period: Period, as_of: date) -> bool:
    """Whether any of the lane figures counts the journey (so its lane has a row)."""
    return any(outcome(journey, kpi, period, as_of) is not None for kpi in Kpi if kpi not in BY_PART)


def part_durations(journeys: Iterable[Journey], kpi: Kpi, period: Period) -> dict[str, Durations]:
    """Per step (``STEP_TIMES``) or facility (``DWELL``): the durations of the spans that ended in ``period``,
    one per parcel. Every step comes, in path order (a step nothing was counted in has count 0); facilities
    with a counted span come, by name."""
    hours: dict[str, list[float]] = defaultdict(list)
    for journey in journeys:
        for part, value in parts(journey, kpi, period).items():
            hours[part].append(value)
    order = [s.value for s in STEPS] if kpi is Kpi.STEP_TIMES else sorted(hours)
    return {part: durations(hours[part]) for part in order}


def report(journeys: Iterable[Journey], period: Period, as_of: date) -> Report:
    """The figures of every journey, and per lane (lanes no figure counts a parcel of are left out)."""
    counted = [j for j in journeys if counts_anywhere(j, period, as_of)]
    by_lane: dict[Lane, list[Journey]] = defaultdict(list)
    for journey in counted:
        by_lane[journey.lane].append(journey)
    lanes = {
        lane: figures(members, period, as_of)
        for lane, members in sorted(by_lane.items(), key=lambda item: (item[0].origin or "", item[0].country))
    }
    return Report(period, as_of, figures(counted, period, as_of), lanes)
