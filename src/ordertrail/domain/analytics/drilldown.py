"""Which parcels a figure counted, as a filter of the parcel list: the figure, optionally one outcome, one reason
code, one part (a step of ``step_times``, a facility of ``dwell``) and one lane (its origin here; its destination
country is the list's own ``country`` filter).

The same ``outcome`` function decides the figure and the filter, so the list holds exactly the counted parcels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from ordertrail.domain.analytics.journeys import Journey, Lane
from ordertrail.domain.analytics.kpis import BY_REASON, OUTCOMES, Kpi, Outcome, outcome, parties, parts, reasons
from ordertrail.domain.analytics.period import Period, parse_period
from ordertrail.domain.analytics.spans import STEPS
from ordertrail.domain.errors import FieldProblem, InvalidInput
from ordertrail.domain.scanning.status import Party

# ``origin=-``: parcels with no scan at a named facility (their lane's origin is unknown).
NO_ORIGIN: Final = "-"
# ``service_level=-``: parcels with no service level (not handed to a courier, or handed over without one).
NO_SERVICE_LEVEL: Final = "-"
PARAMETERS: Final = (
    "kpi",
    "outcome",
    "kpi_reason",
    "kpi_party",
    "kpi_step",
    "kpi_facility",
    "origin",
    "service_level",
    "from",
    "to",
    "as_of",
)
# The parameter naming a part, per figure measured by part.
PART_PARAMETER: Final = {Kpi.STEP_TIMES: "kpi_step", Kpi.DWELL: "kpi_facility"}


@dataclass(frozen=True, slots=True)
class Drilldown:
    kpi: Kpi
    period: Period
    outcome: Outcome | None = None  # None: every parcel the figure counted (its denominator)
    reason: str | None = None  # with the numerator's outcome of a by-reason figure: only that reason
    origin: str | None = None  # a lane's origin facility, or NO_ORIGIN; None: every origin
    as_of: date | None = None  # "late, still open" as of this day; None: today
    part: str | None = None  # of a figure of BY_PART: only the parcels whose span of that step or facility counted
    party: Party | None = None  # with EXCEPTIONS' numerator: only the parcels with an exception that party must act on
    service_level: str | None = None  # of the parcel's courier handover, or NO_SERVICE_LEVEL; None: every one

    def matches(self, journey: Journey, today: date) -> bool:
        found = outcome(journey, self.kpi, self.period, self.as_of or today)
        if found is None or (self.outcome is not None and found is not self.outcome):
            return False
        if self.reason is not None and self.reason not in reasons(journey, self.kpi):
            return False
        if self.part is not None and self.part not in parts(journey, self.kpi, self.period):
            return False
        if self.party is not None and self.party not in parties(journey, self.kpi):
            return False
        if self.service_level is not None and (journey.service_level or NO_SERVICE_LEVEL) != self.service_level:
            return False
        return self.origin is None or (journey.lane.origin or NO_ORIGIN) == self.origin

    def params(self) -> list[tuple[str, str]]:
        """The query-string parameters of this drill-down, in a stable order."""
        found: list[tuple[str, str]] = [("kpi", self.kpi.value)]
        if self.outcome is not None:
            found.append(("outcome", self.outcome.value))
        if self.reason is not None:
            found.append(("kpi_reason", self.reason))
        if self.party is not None:
            found.append(("kpi_party", self.party.value))
        if self.part is not None:
            found.append((PART_PARAMETER[self.kpi], self.part))
        found += [("from", self.period.start.isoformat()), ("to", self.period.end.isoformat())]
        if self.as_of is not None:
            found.append(("as_of", self.as_of.isoformat()))
        if self.origin is not None:
            found.append(("origin", self.origin))
        if self.service_level is not None:
            found.append(("service_level", self.service_level))
        return found


def lane_params(lane: Lane) -> list[tuple[str, str]]:
    """The list's parameters that narrow a drill-down to one lane."""
    return [("origin", lane.origin or NO_ORIGIN), ("country", lane.country)]


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if len(values) > 1:
        raise InvalidInput(f"Give {name} once.", field=name)
    return values[0] if values else None


def parse_drilldown(params: Mapping[str, Sequence[str]]) -> Drilldown | None:
    """The drill-down a query string asks for; None without ``kpi``. Raises InvalidInput naming the parameter."""
    kpi_text = _one(params, "kpi")
    if kpi_text is None:
        stray = [name for name in PARAMETERS if _one(params, name) is not None]
        if stray:
            raise InvalidInput(f"{stray[0]} needs kpi.", field=stray[0])
        return None
    try:
        kpi = Kpi(kpi_text)
    except ValueError:
        raise InvalidInput(f"kpi is one of {', '.join(k.value for k in Kpi)}.", field="kpi") from None
    period = parse_period(_one(params, "from"), _one(params, "to"))
    problems: list[FieldProblem] = []
    chosen: Outcome | None = None
    outcome_text = _one(params, "outcome")
    if outcome_text is not None:
        allowed = OUTCOMES[kpi]
        if outcome_text not in allowed:
            problems.append(FieldProblem("outcome", f"outcome of {kpi.value} is one of {', '.join(allowed)}."))
        else:
            chosen = Outcome(outcome_text)
    reason = _one(params, "kpi_reason")
    if reason is not None and (kpi not in BY_REASON or chosen is not OUTCOMES[kpi][0]):
        problems.append(FieldProblem("kpi_reason", "kpi_reason goes with outcome=exception or failed_attempt."))
    party = _party(params, kpi, chosen, problems)
    as_of: date | None = None
    as_of_text = _one(params, "as_of")
    if as_of_text is not None:
        try:
            as_of = date.fromisoformat(as_of_text)
        except ValueError:
            problems.append(FieldProblem("as_of", "as_of is a date YYYY-MM-DD."))
    origin = _one(params, "origin")
    if origin is not None and len(origin) > 200:
        problems.append(FieldProblem("origin", "origin is at most 200 characters."))
    service_level = _one(params, "service_level")
    if service_level is not None and len(service_level) > 200:
        problems.append(FieldProblem("service_level", "service_level is at most 200 characters."))
    part = _part(params, kpi, problems)
    if problems:
        raise InvalidInput(problems[0].reason, problems=problems)
    return Drilldown(kpi, period, chosen, reason, origin, as_of, part, party, service_level)


def _party(
    params: Mapping[str, Sequence[str]], kpi: Kpi, chosen: Outcome | None, problems: list[FieldProblem]
) -> Party | None:
    """The responsible party asked for: only with the exception rate's numerator."""
    text = _one(params, "kpi_party")
    if text is None:
        return None
    if kpi is not Kpi.EXCEPTIONS or chosen is not Outcome.EXCEPTION:
        problems.append(FieldProblem("kpi_party", "kpi_party goes with kpi=exceptions&outcome=exception."))
        return None
    try:
        return Party(text)
    except ValueError:
        problems.append(FieldProblem("kpi_party", f"kpi_party is one of {', '.join(p.value for p in Party)}."))
        return None


def _part(params: Mapping[str, Sequence[str]], kpi: Kpi, problems: list[FieldProblem]) -> str | None:
    """The step or facility asked for; each parameter only with its own figure."""
    found: str | None = None
    for part_kpi, name in PART_PARAMETER.items():
        value = _one(params, name)
        if value is None:
            continue
        if kpi is not part_kpi:
            problems.append(FieldProblem(name, f"{name} goes with kpi={part_kpi.value}."))
        elif part_kpi is Kpi.STEP_TIMES and value not in {s.value for s in STEPS}:
            problems.append(FieldProblem(name, f"{name} is one of {', '.join(s.value for s in STEPS)}."))
        elif len(value) > 200:
            problems.append(FieldProblem(name, f"{name} is at most 200 characters."))
        else:
            found = value
    return found
