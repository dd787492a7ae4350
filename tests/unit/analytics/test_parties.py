"""The exception rate by responsible party, from hand-built parcels: each reason's party by the console's one
mapping, a parcel counted once per party however many of its reasons that party has, every party listed, and the
drill-down holding exactly the counted parcels."""

from __future__ import annotations

import pytest

from ordertrail.domain.analytics.drilldown import Drilldown, parse_drilldown
from ordertrail.domain.analytics.figures import report
from ordertrail.domain.analytics.journeys import ParcelRecord, journey_of
from ordertrail.domain.analytics.kpis import Kpi, Outcome
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import Party, responsible_party
from tests.unit.analytics.test_figures import PERIOD, TODAY, ev, record


def parcels() -> list[ParcelRecord]:
    return [
        # 1: two carrier reasons and one of the merchant's: carrier once, merchant once.
        record(
            1,
            [
                ev("dispatched", 2),
                ev("exception", 5, reason="damaged"),
                ev("exception", 6, reason="lost"),
                ev("exception", 7, reason="incomplete_address"),
            ],
        ),
        # 2: customs.
        record(2, [ev("dispatched", 2), ev("exception", 9, reason="customs_hold")]),
        # 3: a voided recipient exception: no party.
        record(
            3,
            [
                ev("dispatched", 2),
                ev("exception", 9, reason="refused", event_id="r3"),
                ev("correction", 10, voids="r3"),
            ],
        ),
        # 4: no exception.
        record(4, [ev("dispatched", 2)]),
    ]


def test_each_party_counts_the_parcels_with_one_of_its_reasons() -> None:
    journeys = [journey_of(r) for r in parcels()]
    total = report(journeys, PERIOD, TODAY).total
    assert {p.value: (r.numerator, r.denominator) for p, r in total.by_party.items()} == {
        "carrier": (1, 4),
        "merchant": (1, 4),
        "recipient": (0, 4),
        "customs": (1, 4),
        "force_majeure": (0, 4),
    }
    assert total.by_party[Party.RECIPIENT].value == 0.0
    assert (total.rates[Kpi.EXCEPTIONS].numerator, total.rates[Kpi.EXCEPTIONS].denominator) == (2, 4)

    def ids(party: Party) -> set[int]:
        drilldown = Drilldown(Kpi.EXCEPTIONS, PERIOD, Outcome.EXCEPTION, party=party)
        return {j.parcel_id for j in journeys if drilldown.matches(j, TODAY)}

    assert [ids(p) for p in Party] == [{1}, {1}, set(), {2}, set()]
    # The link's parameters parse back to the same drill-down.
    drilldown = Drilldown(Kpi.EXCEPTIONS, PERIOD, Outcome.EXCEPTION, party=Party.CUSTOMS)
    assert ("kpi_party", "customs") in drilldown.params()
    assert parse_drilldown({k: [v] for k, v in drilldown.params()}) == drilldown


def test_the_one_mapping_and_an_unknown_code() -> None:
    assert (responsible_party("misrouted"), responsible_party("unpaid_duties")) == (Party.CARRIER, Party.RECIPIENT)
    assert responsible_party("no_such_code") is Party.CARRIER  # recorded before the code was known: the carrier's


@pytest.mark.parametrize(
    "params",
    [
        {"kpi": "exceptions", "kpi_party": "carrier"},  # the denominator: no party
        {"kpi": "failed_attempts", "outcome": "failed_attempt", "kpi_party": "carrier"},
        {"kpi": "exceptions", "outcome": "exception", "kpi_party": "courier"},
    ],
)
def test_kpi_party_only_with_the_exception_numerator(params: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_drilldown({"from": ["2026-11-01"], "to": ["2026-11-30"], **{k: [v] for k, v in params.items()}})
    assert raised.value.problems[0].field == "kpi_party"
