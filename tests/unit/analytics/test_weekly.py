"""The weekly report's rules: its week, its recipients, and which groups are worst."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ordertrail.domain.analytics.breakdowns import Group
from ordertrail.domain.analytics.figures import Figures, Rate
from ordertrail.domain.analytics.kpis import Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.weekly import last_full_week, parse_recipients, worst
from ordertrail.domain.errors import InvalidInput

pytestmark = pytest.mark.store_independent


def test_the_last_full_week_is_monday_to_sunday_before_now_in_utc() -> None:
    week = Period(date(2026, 11, 2), date(2026, 11, 8))
    assert last_full_week(datetime(2026, 11, 9, 0, 0, tzinfo=UTC)) == week
    assert last_full_week(datetime(2026, 11, 15, 23, 59, tzinfo=UTC)) == week
    assert last_full_week(datetime(2026, 11, 8, 23, 59, tzinfo=UTC)) == Period(date(2026, 10, 26), date(2026, 11, 1))
    # Monday 00:30 at +01:00 is still Sunday in UTC: the week is not over yet.
    early = datetime(2026, 11, 9, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert last_full_week(early) == Period(date(2026, 10, 26), date(2026, 11, 1))


def test_recipients_are_addresses_once_each_lower_cased() -> None:
    assert parse_recipients("Ops@Shop.example, boss@shop.example\nops@shop.example") == [
        "ops@shop.example",
        "boss@shop.example",
    ]
    assert parse_recipients("  ") == []
    for wrong in ("ops", "ops@shop", "@shop.example", " ".join(f"a{i}@shop.example" for i in range(11))):
        with pytest.raises(InvalidInput) as error:
            parse_recipients(wrong)
        assert error.value.field == "recipients"


def _group(origin: str, on_time: int, delivered: int) -> Group:
    rates = {Kpi.ON_TIME_VS_PROMISE: Rate(on_time, delivered)}
    return Group({"origin": origin}, [("origin", origin)], Figures(rates, {}, 0, {}))


def test_worst_is_most_late_then_lowest_rate_and_never_a_group_with_none_late() -> None:
    groups = [_group("a", 9, 10), _group("b", 1, 3), _group("c", 0, 2), _group("d", 5, 5), _group("e", 8, 10)]
    # late: a 1, b 2, c 2, d 0, e 2; among two late, c (0 %) before b (33 %) before e (80 %).
    assert [g.key["origin"] for g in worst(groups)] == ["c", "b", "e"]
    assert [g.key["origin"] for g in worst(groups, shown=5)] == ["c", "b", "e", "a"]
    assert worst([_group("d", 5, 5), _group("x", 0, 0)]) == []
