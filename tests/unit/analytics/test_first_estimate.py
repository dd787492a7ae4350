"""On time vs the first estimate and inside its window, from hand-built journeys: the window's edges count as
inside, a parcel with no first estimate is not counted, and the drill-down outcomes split exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import figures
from ordertrail.domain.analytics.journeys import journey_of
from ordertrail.domain.analytics.kpis import Kpi, Outcome
from tests.unit.analytics.test_figures import PERIOD, TODAY, ev, record


def test_delivery_against_the_first_window() -> None:
    # All delivered on 2026-11-03 (T0 + 26 h); the windows put that day early, at each edge, inside and late.
    windows = {
        1: (date(2026, 11, 4), date(2026, 11, 5)),  # early: on time, not inside
        2: (date(2026, 11, 3), date(2026, 11, 4)),  # on its earliest day: inside
        3: (date(2026, 11, 1), date(2026, 11, 3)),  # on its latest day: inside
        4: (date(2026, 11, 1), date(2026, 11, 2)),  # late
        5: None,  # no estimate: not counted
    }
    journeys = [
        journey_of(replace(record(pid, [ev("dispatched", 2), ev("delivered", 26)]), first_window=window))
        for pid, window in windows.items()
    ]
    found = figures(journeys, PERIOD, TODAY)
    vs_first, inside = found.rates[Kpi.ON_TIME_VS_FIRST_ESTIMATE], found.rates[Kpi.INSIDE_FIRST_WINDOW]
    assert (vs_first.numerator, vs_first.denominator) == (3, 4)
    assert (inside.numerator, inside.denominator) == (2, 4)

    def ids(kpi: Kpi, outcome: Outcome | None) -> list[int]:
        drilldown = Drilldown(kpi, PERIOD, outcome)
        return [j.parcel_id for j in journeys if drilldown.matches(j, TODAY)]

    assert ids(Kpi.INSIDE_FIRST_WINDOW, Outcome.EARLY) == [1]
    assert ids(Kpi.INSIDE_FIRST_WINDOW, Outcome.INSIDE) == [2, 3]
    assert ids(Kpi.INSIDE_FIRST_WINDOW, Outcome.LATE) == [4]
    assert ids(Kpi.ON_TIME_VS_FIRST_ESTIMATE, Outcome.LATE) == [4]
    assert ids(Kpi.ON_TIME_VS_FIRST_ESTIMATE, None) == [1, 2, 3, 4]
