"""Which figure counts a journey, and as what: one function per figure, the only place the definitions live
(docs/analytics.md says the same in words). The figures and their drill-downs both read it, so a figure and the
parcels it links to cannot disagree."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from ordertrail.domain.analytics.journeys import Journey
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.scanning.status import Party, responsible_party


class Kpi(StrEnum):
    ON_TIME_VS_PROMISE = "on_time_vs_promise"
    ON_TIME_VS_FIRST_ESTIMATE = "on_time_vs_first_estimate"
    INSIDE_FIRST_WINDOW = "inside_first_window"
    LATE_OPEN = "late_open"
    FIRST_ATTEMPT = "first_attempt"
    TRANSIT_FROM_DISPATCH = "transit_from_dispatch"
    TRANSIT_FROM_ORDER = "transit_from_order"
    EXCEPTIONS = "exceptions"
    FAILED_ATTEMPTS = "failed_attempts"
    STEP_TIMES = "step_times"
    DWELL = "dwell"


class Outcome(StrEnum):
    """What a counted parcel was; the first outcome of each figure is its numerator."""

    ON_TIME = "on_time"
    LATE = "late"
    INSIDE = "inside"
    EARLY = "early"
    FIRST_ATTEMPT = "first_attempt"
    AFTER_FAILED_ATTEMPT = "after_failed_attempt"
    COUNTED = "counted"
    EXCEPTION = "exception"
    NO_EXCEPTION = "no_exception"
    FAILED_ATTEMPT = "failed_attempt"
    NO_FAILED_ATTEMPT = "no_failed_attempt"


OUTCOMES: dict[Kpi, tuple[Outcome, ...]] = {
    Kpi.ON_TIME_VS_PROMISE: (Outcome.ON_TIME, Outcome.LATE),
    Kpi.ON_TIME_VS_FIRST_ESTIMATE: (Outcome.ON_TIME, Outcome.LATE),
    Kpi.INSIDE_FIRST_WINDOW: (Outcome.INSIDE, Outcome.EARLY, Outcome.LATE),
    Kpi.LATE_OPEN: (Outcome.LATE,),
    Kpi.FIRST_ATTEMPT: (Outcome.FIRST_ATTEMPT, Outcome.AFTER_FAILED_ATTEMPT),
    Kpi.TRANSIT_FROM_DISPATCH: (Outcome.COUNTED,),
    Kpi.TRANSIT_FROM_ORDER: (Outcome.COUNTED,),
    Kpi.EXCEPTIONS: (Outcome.EXCEPTION, Outcome.NO_EXCEPTION),
    Kpi.FAILED_ATTEMPTS: (Outcome.FAILED_ATTEMPT, Outcome.NO_FAILED_ATTEMPT),
    Kpi.STEP_TIMES: (Outcome.COUNTED,),
    Kpi.DWELL: (Outcome.COUNTED,),
}

# The duration figures measured per part of a journey (a step, a facility): a span counts in the period of the
# local date it ended, whatever became of the parcel since.
BY_PART = (Kpi.STEP_TIMES, Kpi.DWELL)

# The figures whose numerator splits by reason code, and where a journey keeps its reasons for each.
BY_REASON = (Kpi.EXCEPTIONS, Kpi.FAILED_ATTEMPTS)


def reasons(journey: Journey, kpi: Kpi) -> frozenset[str]:
    """The reason codes a journey counts under in ``kpi``'s by-reason split (empty for other figures)."""
    if kpi is Kpi.EXCEPTIONS:
        return journey.exception_reasons
    if kpi is Kpi.FAILED_ATTEMPTS:
        return journey.attempt_reasons
    return frozenset()


def parties(journey: Journey, kpi: Kpi) -> frozenset[Party]:
    """The parties who must act on the journey's exceptions (EXCEPTIONS; empty for other figures): each reason's
    party by the console's one mapping (``responsible_party``). Two reasons of one party count that party once."""
    if kpi is not Kpi.EXCEPTIONS:
        return frozenset()
    return frozenset(responsible_party(reason) for reason in journey.exception_reasons)


def parts(journey: Journey, kpi: Kpi, period: Period) -> dict[str, float]:
    """The steps (STEP_TIMES) or facilities (DWELL) whose span ended in ``period``, with its hours."""
    spans = journey.steps if kpi is Kpi.STEP_TIMES else journey.dwells if kpi is Kpi.DWELL else {}
    return {part: span.hours for part, span in spans.items() if span.ended_at.date() in period}


def outcome(journey: Journey, kpi: Kpi, period: Period, as_of: date) -> Outcome | None:
    """What ``kpi`` counts the journey as over ``period`` (None: not counted). ``as_of``: today, for "late, still
    open" (a promise is past once its day has ended)."""
    if kpi in BY_PART:
        return Outcome.COUNTED if parts(journey, kpi, period) else None
    delivered_in = journey.delivered_on in period
    if kpi is Kpi.ON_TIME_VS_PROMISE:
        if not delivered_in or journey.promised is None:
            return None
        assert journey.delivered_on is not None
        return Outcome.ON_TIME if journey.delivered_on <= journey.promised else Outcome.LATE
    if kpi in (Kpi.ON_TIME_VS_FIRST_ESTIMATE, Kpi.INSIDE_FIRST_WINDOW):
        if not delivered_in or journey.first_window is None:
            return None
        return _against_window(journey, kpi)
    if kpi is Kpi.LATE_OPEN:
        late = journey.promised is not None and journey.promised in period and journey.promised < as_of
        return Outcome.LATE if late and journey.open and journey.delivered_at is None else None
    if kpi is Kpi.FIRST_ATTEMPT:
        if not delivered_in or not journey.went_out:
            return None
        return Outcome.AFTER_FAILED_ATTEMPT if journey.attempted_before_delivery else Outcome.FIRST_ATTEMPT
    if kpi is Kpi.TRANSIT_FROM_DISPATCH:
        return Outcome.COUNTED if delivered_in and transit_hours(journey, kpi) is not None else None
    if kpi is Kpi.TRANSIT_FROM_ORDER:
        return Outcome.COUNTED if delivered_in and transit_hours(journey, kpi) is not None else None
    if journey.dispatched_on not in period:  # the dispatch-based rates
        return None
    if kpi is Kpi.EXCEPTIONS:
        return Outcome.EXCEPTION if journey.exception_reasons else Outcome.NO_EXCEPTION
    return Outcome.FAILED_ATTEMPT if journey.attempt_reasons else Outcome.NO_FAILED_ATTEMPT


def _against_window(journey: Journey, kpi: Kpi) -> Outcome:
    """A delivered journey with a first estimate, against its latest date (or, INSIDE_FIRST_WINDOW, both ends)."""
    assert journey.delivered_on is not None and journey.first_window is not None
    earliest, latest = journey.first_window
    if journey.delivered_on > latest:
        return Outcome.LATE
    if kpi is Kpi.INSIDE_FIRST_WINDOW and journey.delivered_on < earliest:
        return Outcome.EARLY
    return Outcome.ON_TIME if kpi is Kpi.ON_TIME_VS_FIRST_ESTIMATE else Outcome.INSIDE


def transit_hours(journey: Journey, kpi: Kpi) -> float | None:
    """Hours from dispatch (or the order's placing) to delivery; None when either end is missing or the start is
    dated after the delivery (clocks that disagree: no duration to report)."""
    start = journey.dispatched_at if kpi is Kpi.TRANSIT_FROM_DISPATCH else journey.placed_at
    end = journey.delivered_at
    if start is None or end is None or start > end:
        return None
    return (end - start).total_seconds() / 3600


def transit_days(journey: Journey, kpi: Kpi) -> int | None:
    """Delivery days from dispatch (or the order's placing) to delivery, where ``transit_hours`` has hours and the
    journey was given its destination's calendar."""
    return journey.days_from_dispatch if kpi is Kpi.TRANSIT_FROM_DISPATCH else journey.days_from_order
