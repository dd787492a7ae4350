"""The figures read from a real store (SQLite, or PostgreSQL with ORDERTRAIL_TEST_DATABASE_URL), after a small
history recorded through the API (the first estimates written as the estimator records them, so their windows are
known): exact numbers, drill-down ids, each figure's route and its CSV, and one merchant never counting another's.

The history, from T0 = 2026-11-02 09:00 UTC (hours after it; the scanner "hub" at facilities, "van 7" without):

| parcel | shop | promised | first estimate | scans |
|---|---|---|---|---|
| on_time | A | 11-04 | 11-03..11-04 | dispatched 2 (Leeds DC), out for delivery 20, delivered 26 |
| late | A | 11-03 | 11-02..11-03 (then 11-05..11-06) | dispatched 2 (Leeds DC), out 30, attempted 40, delivered 74 |
| voided | A | 11-04 | 11-03..11-04 | dispatched 2 (Hub North), delivered 30, voided at 31 |
| far | A | none | 12-01..12-02 | dispatched 2, exception 10 (Leeds DC), in transit 12 (Hub North), delivered |
|  |  |  |  | 2026-11-30 23:30 -05:00 (12-01 04:30 UTC) |
| messy | A | none | none | dispatched 2, dispatched 3 again (a duplicate), packed 1 sent last (late); all Leeds DC |
| other | B | 11-04 | 11-02..11-02 | dispatched 2, exception 3 (Leeds DC, customs_hold), delivered 5 (by hub, no |
|  |  |  |  | facility) |

Handed to DPD: on_time and other at service level "express", late and far "standard"; voided and messy never.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.kpis import Kpi, Outcome
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.services.analytics import delivery
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.estimating.revisions import add_revisions
from ordertrail.storage.tables import parcel
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, staff_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
LEEDS, NORTH = "Leeds DC", "Hub North"
MONTH = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No estimator: the first estimates are the ones written below, so their windows are known.
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", estimates=False, **FAST_HASHING)


@dataclass(frozen=True)
class World:
    shop_a: str
    shop_b: str
    admin: str
    on_time: str
    late: str
    voided: str
    far: str
    messy: str
    other: str


@pytest.fixture
def world(client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]) -> World:
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    hub, van = make_key("scanner", name="hub"), make_key("scanner", name="van 7")

    def place(key: str, promised: str | None) -> str:
        body = order_body(placed_at=T0.isoformat(), promised_delivery_date=promised)
        response = client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    def scan(number: str, status: str, hours: float | datetime, facility: str | None = None, **extra: Any) -> str:
        at = hours if isinstance(hours, datetime) else T0 + timedelta(hours=hours)
        location = {"facility": facility, "city": "Leeds", "country": "GB"} if facility else None
        body = scan_body(number, status, at=at, location=location, **extra)
        response = client.post("/api/v1/scans", json=body, headers=auth(hub if facility else van))
        assert response.status_code == 201, response.text
        return str(body["event_id"])

    on_time, late, voided, other = (place(shop_a, "2026-11-04"), place(shop_a, "2026-11-03"),
                                    place(shop_a, "2026-11-04"), place(shop_b, "2026-11-04"))  # fmt: skip
    far, messy = place(shop_a, None), place(shop_a, None)
    for number in (on_time, late, far, messy, other):
        scan(number, "dispatched", 2, LEEDS)
    scan(voided, "dispatched", 2, NORTH)
    scan(on_time, "out_for_delivery", 20)
    scan(on_time, "delivered", 26)
    scan(late, "out_for_delivery", 30)
    scan(late, "delivery_attempted", 40)
    scan(late, "delivered", 74)
    wrong = scan(voided, "delivered", 30)
    scan(voided, "correction", 31, voids_event_id=wrong)
    scan(far, "exception", 10, LEEDS)
    scan(far, "in_transit", 12, NORTH)
    scan(far, "delivered", datetime.fromisoformat("2026-11-30T23:30:00-05:00"))  # 12-01 04:30 UTC
    scan(messy, "dispatched", 3, LEEDS)
    scan(messy, "packed", 1, LEEDS)
    scan(other, "exception", 3, LEEDS, reason="customs_hold")
    body = scan_body(other, "delivered", at=T0 + timedelta(hours=5), location=None)
    assert client.post("/api/v1/scans", json=body, headers=auth(hub)).status_code == 201
    # Handed to DPD: express (on_time; other, Shop B's), standard (late, far); voided and messy never.
    for number, key, level, courier_number in ((on_time, shop_a, "express", "DPD-ANALYTICS-1"),
                                               (late, shop_a, "standard", "DPD-ANALYTICS-2"),
                                               (far, shop_a, "standard", "DPD-ANALYTICS-3"),
                                               (other, shop_b, "express", "DPD-ANALYTICS-4")):  # fmt: skip
        handover = {"courier": "dpd", "tracking_number": courier_number, "service_level": level}
        answer = client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(key))
        assert answer.status_code == 200, answer.text

    windows = {on_time: ("2026-11-03", "2026-11-04"), late: ("2026-11-02", "2026-11-03"),
               voided: ("2026-11-03", "2026-11-04"), far: ("2026-12-01", "2026-12-02"),
               other: ("2026-11-02", "2026-11-02")}  # fmt: skip

    async def estimate(services: Services) -> None:
        def write(connection: Any) -> None:
            ids = dict(connection.execute(select(parcel.c.tracking_number, parcel.c.id)).all())

            def revision(number: str, earliest: str, latest: str, hours: float) -> Revision:
                first, last = date.fromisoformat(earliest), date.fromisoformat(latest)
                made = T0 + timedelta(hours=hours)
                return Revision(ids[number], first, last, last, 0.8, "lane", "dispatched", "scan", False, made)

            add_revisions(connection, [revision(n, *w, 2) for n, w in windows.items()])
            add_revisions(connection, [revision(late, "2026-11-05", "2026-11-06", 40)])  # not the first one

        await services.db.write(write)

    run_services(estimate)
    return World(shop_a, shop_b, make_key("admin", name="root"), on_time, late, voided, far, messy, other)


def test_figures_and_drilldowns_from_the_store(
    client: TestClient, world: World, run_services: Callable[..., Any]
) -> None:
    shop_a, shop_b, on_time, late, voided = world.shop_a, world.shop_b, world.on_time, world.late, world.voided

    async def work(services: Services) -> tuple[Any, ...]:
        b_id = await services.db.read(lambda c: merchant_store.merchant_id_by_name(c, "Shop B"))
        every = await delivery.delivery_report(services, period=PERIOD, merchant_ids=None)
        only_b = await delivery.delivery_report(services, period=PERIOD, merchant_ids=frozenset({b_id}))
        late_ids = await delivery.counted_parcel_ids(
            services, Drilldown(Kpi.ON_TIME_VS_PROMISE, PERIOD, Outcome.LATE), merchant_ids=None
        )
        b_late = await delivery.counted_parcel_ids(
            services, Drilldown(Kpi.ON_TIME_VS_PROMISE, PERIOD, Outcome.LATE), merchant_ids=frozenset({b_id})
        )
        return every, only_b, late_ids, b_late

    every, only_b, late_ids, b_late = run_services(work)
    # Shop B counts only its own parcel, on time; Shop A's late parcel is not among its drill-down.
    only_b_promise = only_b.total.rates[Kpi.ON_TIME_VS_PROMISE]
    assert (only_b_promise.numerator, only_b_promise.denominator, only_b.total.late_open) == (1, 1, 0)
    assert b_late == frozenset()
    promise = every.total.rates[Kpi.ON_TIME_VS_PROMISE]
    assert (promise.numerator, promise.denominator) == (2, 3)  # on_time, other on time; late late
    assert every.total.late_open == 1  # the voided delivery
    assert len(late_ids) == 1
    assert every.total.transits[Kpi.TRANSIT_FROM_DISPATCH].count == 4  # on_time, late, far, other

    # The parcel list filtered the same way lists exactly the counted parcels, and scoped by the key.
    def listed(key: str, **params: str) -> list[str]:
        response = client.get("/api/v1/parcels", params={"from": "2026-11-01", "to": "2026-11-30", **params},
                              headers=auth(key))  # fmt: skip
        assert response.status_code == 200, response.text
        return [p["tracking_number"] for p in response.json()["parcels"]]

    admin = world.admin
    assert listed(admin, kpi="on_time_vs_promise", outcome="late") == [late]
    assert len(listed(admin, kpi="on_time_vs_promise")) == promise.denominator
    assert listed(admin, kpi="late_open") == [voided]
    assert sorted(listed(shop_a, kpi="on_time_vs_promise")) == sorted([on_time, late])
    assert listed(shop_b, kpi="on_time_vs_promise", outcome="late") == []
    bad = client.get("/api/v1/parcels", params={"kpi": "on_time_vs_promise", "from": "2026-11-31"}, headers=auth(admin))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["from", "to"]

    # The API's figures, and each link lists exactly what it counted.
    response = client.get("/api/v1/analytics/delivery", params={"from": "2026-11-01", "to": "2026-11-30"},
                          headers=auth(shop_a))  # fmt: skip
    assert response.status_code == 200, response.text
    figures = response.json()["figures"]
    on_time_doc = figures["on_time_vs_promise"]
    assert (on_time_doc["numerator"], on_time_doc["denominator"]) == (1, 2)
    for link, expected in ((on_time_doc["parcels"], 1), (on_time_doc["denominator_parcels"], 2),
                           (figures["late_open"]["parcels"], figures["late_open"]["count"])):  # fmt: skip
        listed_now = client.get(link, headers=auth(shop_a))
        assert len(listed_now.json()["parcels"]) == expected
    assert figures["late_open"]["count"] == 1
    too_long = client.get("/api/v1/analytics/delivery", params={"from": "2025-01-01", "to": "2026-11-30"},
                          headers=auth(shop_a))  # fmt: skip
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "to"


def _get(client: TestClient, path: str, key: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/analytics/{path}", params={**MONTH, **params}, headers=auth(key))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _csv(
    client: TestClient, path: str, key: str, headers: dict[str, str] | None = None, **params: str
) -> list[dict[str, str]]:
    response = client.get(
        f"/api/v1/analytics/{path}", params={**MONTH, **params}, headers={**auth(key), **(headers or {})}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def _rate(figure: dict[str, Any]) -> tuple[Any, int, int]:
    return figure["value"], figure["numerator"], figure["denominator"]


def test_each_figure_by_its_route_and_its_csv(client: TestClient, world: World) -> None:
    w = world

    def listed(link: str, key: str) -> list[str]:
        response = client.get(link, headers=auth(key))
        assert response.status_code == 200, response.text
        return sorted(p["tracking_number"] for p in response.json()["parcels"])

    # Every merchant. Delivered in November (local dates): on_time 11-03, late 11-05, far 11-30 (12-01 in UTC),
    # other 11-02; voided's delivery was voided: it is late, still open.
    on = _get(client, "on-time", w.admin)
    assert _rate(on["vs_promise"]) == (2 / 3, 2, 3)  # on_time, other; late is late; far had no promise
    assert on["late_open"]["count"] == 1
    assert _rate(on["vs_first_estimate"]) == (3 / 4, 3, 4)  # late is past 11-03 (its first estimate's latest)
    assert _rate(on["inside_first_window"]) == (2 / 4, 2, 4)  # far is early (11-30 < 12-01)
    assert on["breakdown"] is None and on["by"] is None

    # Shop A alone, by lane (origin: the first facility scanned): Hub North holds voided only.
    a = _get(client, "on-time", w.shop_a, by="lane")
    assert _rate(a["vs_first_estimate"]) == (2 / 3, 2, 3)
    assert _rate(a["inside_first_window"]) == (1 / 3, 1, 3)
    assert listed(a["vs_first_estimate"]["parcels"], w.shop_a) == sorted([w.on_time, w.far])
    assert listed(a["inside_first_window"]["parcels"], w.shop_a) == [w.on_time]
    assert listed(a["vs_first_estimate"]["denominator_parcels"], w.shop_a) == sorted([w.on_time, w.late, w.far])
    lanes = [(g["origin"], g["destination_country"], _rate(g["vs_promise"]), g["late_open"]["count"],
              _rate(g["vs_first_estimate"]), _rate(g["inside_first_window"])) for g in a["breakdown"]]  # fmt: skip
    assert lanes == [
        (NORTH, "GB", (None, 0, 0), 1, (None, 0, 0), (None, 0, 0)),
        (LEEDS, "GB", (1 / 2, 1, 2), 0, (2 / 3, 2, 3), (1 / 3, 1, 3)),
    ]
    leeds = a["breakdown"][1]
    assert listed(leeds["vs_first_estimate"]["denominator_parcels"], w.shop_a) == sorted([w.on_time, w.late, w.far])
    assert listed(a["breakdown"][0]["late_open"]["parcels"], w.shop_a) == [w.voided]
    by_facility = _get(client, "on-time", w.shop_a, by="facility")["breakdown"]
    assert [(g["origin"], g.get("destination_country"), g["vs_promise"]["denominator"]) for g in by_facility] == [
        (NORTH, None, 0),
        (LEEDS, None, 2),
    ]

    # By service level (the handover's; null: none): voided (late, still open) and messy have none; express holds
    # on_time and other (both on time), standard late (late) and far (no promise).
    levels = _get(client, "on-time", w.admin, by="service_level")
    assert levels["by"] == "service_level"
    assert [(g["service_level"], _rate(g["vs_promise"]), g["late_open"]["count"], _rate(g["vs_first_estimate"]))
            for g in levels["breakdown"]] == [(None, (None, 0, 0), 1, (None, 0, 0)),
                                               ("express", (1.0, 2, 2), 0, (1.0, 2, 2)),
                                               ("standard", (0.0, 0, 1), 0, (1 / 2, 1, 2))]  # fmt: skip
    none, express, standard = levels["breakdown"]
    assert listed(none["late_open"]["parcels"], w.admin) == [w.voided]
    assert listed(express["vs_promise"]["parcels"], w.admin) == sorted([w.on_time, w.other])
    assert listed(standard["vs_promise"]["denominator_parcels"], w.admin) == [w.late]
    assert listed(standard["vs_first_estimate"]["denominator_parcels"], w.admin) == sorted([w.late, w.far])
    assert "service_level=-" in none["late_open"]["parcels"]
    a_levels = _get(client, "on-time", w.shop_a, by="service_level")["breakdown"]
    assert [(g["service_level"], _rate(g["vs_promise"])) for g in a_levels] == [
        (None, (None, 0, 0)),
        ("express", (1.0, 1, 1)),
        ("standard", (0.0, 0, 1)),
    ]
    assert listed(a_levels[1]["vs_promise"]["parcels"], w.shop_a) == [w.on_time]  # not Shop B's other
    level_exceptions = _get(client, "exceptions", w.shop_a, by="service_level")["breakdown"]
    assert [(g["service_level"], _rate(g["rate"]), g["by_party"]["carrier"]["numerator"])
            for g in level_exceptions] == [(None, (0.0, 0, 2), 0), ("express", (0.0, 0, 1), 0),
                                           ("standard", (1 / 2, 1, 2), 1)]  # fmt: skip
    assert listed(level_exceptions[2]["by_party"]["carrier"]["parcels"], w.shop_a) == [w.far]
    level_transit = _get(client, "transit-time", w.shop_a, by="service_level")["breakdown"]
    assert [(g["service_level"], g["from_dispatch"]["parcels_counted"], g["from_dispatch"]["p90_days"])
            for g in level_transit] == [(None, 0, None), ("express", 1, 1), ("standard", 2, 20)]  # fmt: skip
    first_levels = _get(client, "first-attempt", w.shop_a, by="service_level")["breakdown"]
    assert [(g["service_level"], _rate(g["rate"])) for g in first_levels] == [
        (None, (None, 0, 0)),
        ("express", (1.0, 1, 1)),
        ("standard", (0.0, 0, 1)),
    ]

    # First attempt: delivered parcels that went out for delivery: on_time (first time), late (after a failure).
    first = _get(client, "first-attempt", w.shop_a, by="lane")
    assert _rate(first["rate"]) == (1 / 2, 1, 2)
    assert [(g["origin"], _rate(g["rate"])) for g in first["breakdown"]] == [
        (NORTH, (None, 0, 0)),
        (LEEDS, (1 / 2, 1, 2)),
    ]
    assert listed(first["rate"]["parcels"], w.shop_a) == [w.on_time]
    assert _rate(_get(client, "first-attempt", w.shop_b)["rate"]) == (None, 0, 0)

    # Transit, dispatched -> delivered: other 3 h, on_time 24, late 72, far 689.5 (11-02 11:00 to 12-01 04:30 UTC).
    transit = _get(client, "transit-time", w.admin)["from_dispatch"]
    assert (transit["parcels_counted"], transit["p50_hours"], transit["p90_hours"], transit["mean_hours"]) == (
        4, 24.0, 689.5, (3 + 24 + 72 + 689.5) / 4)  # fmt: skip
    transit_a = _get(client, "transit-time", w.shop_a)
    assert (transit_a["from_dispatch"]["p50_hours"], transit_a["from_dispatch"]["mean_hours"]) == (
        72.0,
        (24 + 72 + 689.5) / 3,
    )
    assert transit_a["from_order"]["p50_hours"] == 74.0  # placed at T0: 26, 74, 691.5
    # In delivery days (GB's calendar, no holiday in November; dispatched Monday 11-02): other 0 (the same day),
    # on_time 1 (Tue 11-03), late 3 (to Thu 11-05), far 20 (to Mon 11-30, its local date: four whole weeks).
    transit_days = _get(client, "transit-time", w.admin)["from_dispatch"]
    assert (transit_days["p50_days"], transit_days["p90_days"], transit_days["mean_days"]) == (1, 20, 24 / 4)
    assert (transit_a["from_dispatch"]["p50_days"], transit_a["from_dispatch"]["mean_days"]) == (3, 24 / 3)
    assert (transit_a["from_order"]["p50_days"], transit_a["from_order"]["p90_days"]) == (3, 20)  # placed 11-02
    assert _get(client, "transit-time", w.shop_b)["from_dispatch"]["p90_days"] == 0

    # Exceptions, over parcels dispatched in November: far (damaged) of Shop A's five; other (customs_hold) of
    # Shop B's one. By who must act: damaged is the carrier's, customs_hold customs'.
    exceptions = _get(client, "exceptions", w.admin)
    assert _rate(exceptions["rate"]) == (2 / 6, 2, 6)
    assert {r: _rate(v) for r, v in exceptions["by_reason"].items()} == {
        "customs_hold": (1 / 6, 1, 6),
        "damaged": (1 / 6, 1, 6),
    }
    assert {p: _rate(v) for p, v in exceptions["by_party"].items()} == {
        "carrier": (1 / 6, 1, 6),
        "merchant": (0.0, 0, 6),
        "recipient": (0.0, 0, 6),
        "customs": (1 / 6, 1, 6),
        "force_majeure": (0.0, 0, 6),
    }
    assert listed(exceptions["by_party"]["customs"]["parcels"], w.admin) == [w.other]
    assert listed(exceptions["by_party"]["carrier"]["parcels"], w.admin) == [w.far]
    assert listed(exceptions["by_party"]["merchant"]["parcels"], w.admin) == []
    party_a = _get(client, "exceptions", w.shop_a)["by_party"]
    assert {p: _rate(v)[1:] for p, v in party_a.items() if v["numerator"]} == {"carrier": (1, 5)}
    assert listed(party_a["customs"]["parcels"], w.shop_a) == []  # Shop B's parcel is not Shop A's
    party_b = _get(client, "exceptions", w.shop_b)["by_party"]
    assert {p: _rate(v)[1:] for p, v in party_b.items() if v["numerator"]} == {"customs": (1, 1)}
    assert listed(party_b["customs"]["parcels"], w.shop_b) == [w.other]
    by_reason = _get(client, "exceptions", w.shop_a, by="reason")
    assert _rate(by_reason["rate"]) == (1 / 5, 1, 5)
    assert _rate(by_reason["failed_attempts"]) == (1 / 5, 1, 5)
    rows = [(g["reason"], _rate(g["rate"]), _rate(g["failed_attempts"])) for g in by_reason["breakdown"]]
    assert rows == [("damaged", (1 / 5, 1, 5), (0.0, 0, 5)), ("nobody_home", (0.0, 0, 5), (1 / 5, 1, 5))]
    assert listed(by_reason["breakdown"][0]["rate"]["parcels"], w.shop_a) == [w.far]
    assert listed(by_reason["breakdown"][0]["failed_attempts"]["parcels"], w.shop_a) == []
    assert listed(by_reason["breakdown"][1]["failed_attempts"]["parcels"], w.shop_a) == [w.late]
    lane_exceptions = _get(client, "exceptions", w.shop_a, by="lane")["breakdown"]
    assert [(g["origin"], _rate(g["rate"]), list(g["by_reason"])) for g in lane_exceptions] == [
        (NORTH, (0.0, 0, 1), []),
        (LEEDS, (1 / 4, 1, 4), ["damaged"]),
    ]

    # Shop B sees its own parcel only, and the admin asking for Shop B the same; Shop A may not ask for B.
    b = _get(client, "exceptions", w.shop_b)
    assert _rate(b["rate"]) == (1.0, 1, 1) == _rate(_get(client, "exceptions", w.admin, merchant="Shop B")["rate"])
    assert listed(b["rate"]["parcels"], w.shop_b) == [w.other]
    assert _rate(_get(client, "on-time", w.shop_b)["vs_first_estimate"]) == (1.0, 1, 1)
    refused = client.get("/api/v1/analytics/on-time", params={**MONTH, "merchant": "Shop B"}, headers=auth(w.shop_a))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "merchant"
    for path, by in (("on-time", "reason"), ("exceptions", "shop")):
        refused = client.get(f"/api/v1/analytics/{path}", params={**MONTH, "by": by}, headers=auth(w.admin))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "by", refused.text

    # The CSV holds the same figures: the total line, then one per key.
    table = _csv(client, "on-time", w.shop_a, by="lane", format="csv")
    first = [(r["row"], r["origin"], r["vs_first_estimate.numerator"], r["vs_first_estimate.denominator"],
              r["late_open.count"]) for r in table]  # fmt: skip
    assert first == [
        ("total", "", "2", "3", "1"),
        ("breakdown", NORTH, "0", "0", "1"),
        ("breakdown", LEEDS, "2", "3", "0"),
    ]
    assert float(table[0]["inside_first_window.value"]) == 1 / 3
    table = _csv(client, "exceptions", w.shop_a, headers={"Accept": "text/csv"}, by="reason")
    assert [(r["row"], r["reason"], r["rate.numerator"], r["failed_attempts.numerator"], r["rate.denominator"])
            for r in table] == [("total", "", "1", "1", "5"), ("breakdown", "damaged", "1", "0", "5"),
                                ("breakdown", "nobody_home", "0", "1", "5")]  # fmt: skip
    table = _csv(client, "on-time", w.admin, by="service_level", format="csv")
    assert [(r["row"], r["service_level"], r["vs_promise.numerator"], r["vs_promise.denominator"],
             r["late_open.count"]) for r in table] == [
        ("total", "", "2", "3", "1"), ("breakdown", "", "0", "0", "1"), ("breakdown", "express", "2", "2", "0"),
        ("breakdown", "standard", "0", "1", "0")]  # fmt: skip
    table = _csv(client, "exceptions", w.admin, format="csv")
    assert [(r["row"], r["by_party.carrier.numerator"], r["by_party.customs.numerator"],
             r["by_party.customs.denominator"], r["by_party.merchant.numerator"]) for r in table] == [
        ("total", "1", "1", "6", "0")]  # fmt: skip
    transit_rows = _csv(client, "transit-time", w.admin, format="csv")
    assert [(r["from_dispatch.parcels_counted"], r["from_dispatch.p90_hours"], r["from_dispatch.p50_days"],
             r["from_dispatch.p90_days"], r["from_dispatch.mean_days"]) for r in transit_rows] == [
        ("4", "689.5", "1", "20", "6.0")]  # fmt: skip


def test_scan_activity_per_facility_and_device(client: TestClient, world: World) -> None:
    def rows(document: dict[str, Any], kind: str) -> dict[str, tuple[Any, ...]]:
        return {
            row[kind]: (row["scans"], row["active_hours"], row["scans_per_hour"], _rate(row["duplicates"]),
                        _rate(row["late"]))
            for row in document[f"{'facilities' if kind == 'facility' else 'devices'}"]
        }  # fmt: skip

    # hub: 12 scans in 6 local hours of 11-02 (10, 11, 12, 14, 19, 21); messy's second dispatch repeats its status
    # and its packed scan came after one dated later. van 7: 7 scans (the correction is no scan) in 6 hours.
    every = _get(client, "scan-activity", world.admin)
    assert rows(every, "device") == {
        "hub": (12, 6, 2.0, (1 / 12, 1, 12), (1 / 12, 1, 12)),
        "van 7": (7, 6, 7 / 6, (0.0, 0, 7), (0.0, 0, 7)),
    }
    assert rows(every, "facility") == {
        LEEDS: (9, 4, 9 / 4, (1 / 9, 1, 9), (1 / 9, 1, 9)),
        NORTH: (2, 2, 1.0, (0.0, 0, 2), (0.0, 0, 2)),
    }
    # Shop A: without other's three hub scans (two at Leeds DC, its 14:00 delivery).
    a = _get(client, "scan-activity", world.shop_a)
    assert rows(a, "device")["hub"] == (9, 5, 9 / 5, (1 / 9, 1, 9), (1 / 9, 1, 9))
    assert rows(a, "facility")[LEEDS] == (7, 4, 7 / 4, (1 / 7, 1, 7), (1 / 7, 1, 7))
    b = _get(client, "scan-activity", world.shop_b)
    assert rows(b, "device") == {"hub": (3, 3, 1.0, (0.0, 0, 3), (0.0, 0, 3))}
    table = _csv(client, "scan-activity", world.shop_a, format="csv")
    assert [(r["kind"], r["name"], r["scans"], r["active_hours"], r["duplicates.numerator"], r["late.numerator"])
            for r in table] == [("facility", NORTH, "2", "2", "0", "0"), ("facility", LEEDS, "7", "4", "1", "1"),
                                ("device", "hub", "9", "5", "1", "1"),
                                ("device", "van 7", "7", "6", "0", "0")]  # fmt: skip


def test_the_page_s_breakdown_tables_link_to_their_parcels(
    client: TestClient, world: World, run_services: Callable[..., Any], settings: Settings
) -> None:
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    page = client.get("/console/analytics", params=MONTH)
    assert page.status_code == 200, page.text
    text = page.text.replace("&amp;", "&")

    def listed(link: str) -> list[str]:
        return sorted(set(re.findall(r"/console/parcels/(OT[0-9A-Z]+)", client.get(link).text)))

    # By lane, Shop A's only: on time vs promise, vs first estimate, first attempt, exceptions (numerator of).
    cell = r'<td><a href="([^"]+)">(\d+)</a> of <a href="([^"]+)">(\d+)</a>[^<]*</td>'
    leeds = re.search(rf"<th scope=\"row\">{LEEDS} → GB</th>{cell * 4}</tr>", text)
    assert leeds is not None, text
    groups = leeds.groups()
    assert [(groups[i + 1], groups[i + 3]) for i in range(0, 16, 4)] == [("1", "2"), ("2", "3"), ("1", "2"), ("1", "4")]
    assert listed(groups[4]) == sorted([world.on_time, world.far])  # on time vs first estimate
    assert listed(groups[6]) == sorted([world.on_time, world.late, world.far])
    assert listed(groups[12]) == [world.far]  # the exception
    assert re.search(rf"<th scope=\"row\">{NORTH} → GB</th>", text)
    # By reason: damaged once as an exception (far), nobody_home once as a failed attempt (late).
    damaged = re.search(
        r'<th scope="row">damaged</th><td><a href="([^"]+)">1</a></td><td><a href="([^"]+)">0</a>', text
    )
    assert damaged is not None, text
    assert listed(damaged.group(1)) == [world.far] and listed(damaged.group(2)) == []
    home = re.search(r'<th scope="row">nobody_home</th><td><a href="[^"]+">0</a></td><td><a href="([^"]+)">1</a>', text)
    assert home is not None and listed(home.group(1)) == [world.late]
    # By responsible party: the carrier's one exception (far); customs' parcel is Shop B's.
    party = r'<th scope="row">{}</th><td><a href="([^"]+)">(\d+)</a></td><td>([^<]+)</td>'
    carrier = re.search(party.format("carrier"), text)
    customs = re.search(party.format("customs"), text)
    assert carrier is not None and customs is not None, text
    assert carrier.groups()[1:] == ("1", "20.0 %") and customs.groups()[1:] == ("0", "0.0 %")
    assert listed(carrier.group(1)) == [world.far] and listed(customs.group(1)) == []
    assert re.search(party.format("force majeure"), text)
    # By service level, Shop A's: none (voided, messy), express (on_time), standard (late, far).
    level_row = r'<th scope="row">{}</th>' + cell * 4
    express = re.search(level_row.format("express"), text)
    standard = re.search(level_row.format("standard"), text)
    no_level = re.search(level_row.format(r"<em>none</em> \(not handed over, or none given\)"), text)
    assert express is not None and standard is not None and no_level is not None, text
    assert [(express.groups()[i + 1], express.groups()[i + 3]) for i in range(0, 16, 4)] == [
        ("1", "1"), ("1", "1"), ("1", "1"), ("0", "1")]  # fmt: skip
    assert [(standard.groups()[i + 1], standard.groups()[i + 3]) for i in range(0, 16, 4)] == [
        ("0", "1"), ("1", "2"), ("0", "1"), ("1", "2")]  # fmt: skip
    assert listed(standard.group(5)) == [world.far] and listed(standard.group(15)) == sorted([world.late, world.far])
    assert listed(no_level.group(15)) == sorted([world.voided, world.messy])
    # Transit, Shop A's: hours 24, 72, 689.5; delivery days 1, 3, 20.
    transit = re.search(r'<tr class="transit"><th scope="row">Dispatched → delivered</th>(.*?)</tr>', text)
    assert transit is not None, text
    cells = re.findall(r"<td>(?:<a [^>]+>)?([^<]+)", transit.group(1))
    assert cells == ["3", "72.0", "689.5", "261.8", "3", "20", "8.0"]
    # Scan activity per device, Shop A's scans only (other's three hub scans are Shop B's).
    assert re.search(r'<th scope="row">hub</th><td>9</td><td>1.80</td><td>1 \(11.1 %\)</td><td>1 \(11.1 %\)</td>', text)
    assert re.search(r'<th scope="row">van 7</th><td>7</td><td>1.17</td><td>0 \(0.0 %\)</td>', text)


def test_trends_per_day_and_week(
    client: TestClient, world: World, settings: Settings, run_services: Callable[..., Any]
) -> None:
    w = world

    def listed(link: str, key: str | None = None) -> list[str]:
        response = client.get(link, headers=auth(key) if key else None)
        assert response.status_code == 200, response.text
        if key is None:
            return sorted(set(re.findall(r"/console/parcels/(OT[0-9A-Z]+)", response.text)))
        return sorted(p["tracking_number"] for p in response.json()["parcels"])

    def series(points: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        """The points with anything counted: the three rates and the transit p50 hours."""
        return {
            p["label"]: (_rate(p["on_time_vs_promise"]), _rate(p["first_attempt"]), _rate(p["exceptions"]),
                         p["transit_from_dispatch"]["p50_hours"])
            for p in points
            if p["exceptions"]["denominator"] or p["transit_from_dispatch"]["parcels_counted"]
        }  # fmt: skip

    # Per day (the default up to 60 days), every merchant: delivered other 11-02, on_time 11-03, late 11-05, far
    # 11-30 (its local date); all six dispatched 11-02. other went out for no delivery round: no first attempt.
    daily = _get(client, "trends", w.admin)
    assert daily["interval"] == "day" and len(daily["points"]) == 30
    assert daily["points"][0]["label"] == "2026-11-01" and daily["points"][-1]["to"] == "2026-11-30"
    assert series(daily["points"]) == {
        "2026-11-02": ((1.0, 1, 1), (None, 0, 0), (2 / 6, 2, 6), 3.0),
        "2026-11-03": ((1.0, 1, 1), (1.0, 1, 1), (None, 0, 0), 24.0),
        "2026-11-05": ((0.0, 0, 1), (0.0, 0, 1), (None, 0, 0), 72.0),
        "2026-11-30": ((None, 0, 0), (None, 0, 0), (None, 0, 0), 689.5),
    }
    days = {p["label"]: p for p in daily["points"]}
    assert listed(days["2026-11-02"]["exceptions"]["parcels"], w.admin) == sorted([w.far, w.other])
    assert len(listed(days["2026-11-02"]["exceptions"]["denominator_parcels"], w.admin)) == 6
    assert listed(days["2026-11-05"]["on_time_vs_promise"]["denominator_parcels"], w.admin) == [w.late]
    assert listed(days["2026-11-30"]["transit_from_dispatch"]["parcels"], w.admin) == [w.far]
    assert days["2026-11-30"]["transit_from_dispatch"]["p50_days"] == 20
    assert listed(days["2026-11-04"]["on_time_vs_promise"]["denominator_parcels"], w.admin) == []

    # Per ISO week: 11-01 is a Sunday (2026-W44, clipped to the period), 11-30 a Monday (W49, clipped).
    weekly = _get(client, "trends", w.admin, interval="week")
    assert [(p["label"], p["from"], p["to"]) for p in weekly["points"]] == [
        ("2026-W44", "2026-11-01", "2026-11-01"),
        ("2026-W45", "2026-11-02", "2026-11-08"),
        ("2026-W46", "2026-11-09", "2026-11-15"),
        ("2026-W47", "2026-11-16", "2026-11-22"),
        ("2026-W48", "2026-11-23", "2026-11-29"),
        ("2026-W49", "2026-11-30", "2026-11-30"),
    ]
    assert series(weekly["points"]) == {
        "2026-W45": ((2 / 3, 2, 3), (1 / 2, 1, 2), (2 / 6, 2, 6), 24.0),  # transit 3, 24, 72: p50 the 2nd
        "2026-W49": ((None, 0, 0), (None, 0, 0), (None, 0, 0), 689.5),
    }
    assert listed(weekly["points"][1]["on_time_vs_promise"]["parcels"], w.admin) == sorted([w.on_time, w.other])
    # A long period is weekly unless days are asked for.
    long = _get(client, "trends", w.admin, **{"from": "2026-09-01", "to": "2026-11-30"})
    assert long["interval"] == "week" and long["points"][0]["label"] == "2026-W36"

    # A merchant sees its own: Shop A has no delivery on 11-02 (other is Shop B's), one exception of five.
    a_days = series(_get(client, "trends", w.shop_a)["points"])
    assert a_days["2026-11-02"] == ((None, 0, 0), (None, 0, 0), (1 / 5, 1, 5), None)
    assert set(a_days) == {"2026-11-02", "2026-11-03", "2026-11-05", "2026-11-30"}
    b_days = series(_get(client, "trends", w.admin, merchant="Shop B")["points"])
    assert b_days == {"2026-11-02": ((1.0, 1, 1), (None, 0, 0), (1.0, 1, 1), 3.0)}
    assert series(_get(client, "trends", w.shop_b)["points"]) == b_days
    refused = client.get("/api/v1/analytics/trends", params={**MONTH, "merchant": "Shop B"}, headers=auth(w.shop_a))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "merchant"
    bad = client.get("/api/v1/analytics/trends", params={**MONTH, "interval": "month"}, headers=auth(w.admin))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.interval", bad.text

    # The CSV: one line per point, the same figures (Shop A, W45: transit 24 and 72 h, p50 the first).
    table = _csv(client, "trends", w.shop_a, interval="week", format="csv")
    assert [(r["label"], r["from"], r["on_time_vs_promise.numerator"], r["on_time_vs_promise.denominator"],
             r["exceptions.numerator"], r["exceptions.denominator"], r["transit_from_dispatch.p50_hours"])
            for r in table[:2]] == [("2026-W44", "2026-11-01", "0", "0", "0", "0", ""),
                                    ("2026-W45", "2026-11-02", "1", "2", "1", "5", "24.0")]  # fmt: skip

    # The page: Shop A's, per day: four charts, each point a link to its day's parcels, and the table alternative.
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    page = client.get("/console/analytics", params=MONTH)
    assert page.status_code == 200, page.text
    text = page.text.replace("&amp;", "&")
    assert text.count('<svg class="trend-chart"') == 4
    assert '<title id="trend-on-time-vs-promise-title">On time vs promise</title>' in text
    dot = re.search(r'<a href="([^"]+)" aria-label="2026-11-03: 100.0 % \(1 of 1\)">', text)
    assert dot is not None, text
    assert listed(dot.group(1)) == [w.on_time]
    late_dot = re.search(r'<a href="([^"]+)" aria-label="2026-11-05: 0.0 % \(0 of 1\)">', text)
    assert late_dot is not None and listed(late_dot.group(1)) == []  # on time: none that day
    transit_dot = re.search(r'<a href="([^"]+)" aria-label="2026-11-30: 689.5 h \(1 parcels\)">', text)
    assert transit_dot is not None and listed(transit_dot.group(1)) == [w.far]
    cell = r'<td><a href="([^"]+)">(\d+)</a> of <a href="([^"]+)">(\d+)</a>[^<]*</td>'
    row = re.search(r'<th scope="row">2026-11-02</th>' + cell * 3 + r'<td>([^<]+)\(<a href="([^"]+)">(\d+)</a>\)', text)
    assert row is not None, text
    groups = row.groups()
    assert [(groups[i + 1], groups[i + 3]) for i in range(0, 12, 4)] == [("0", "0"), ("0", "0"), ("1", "5")]
    assert listed(groups[8]) == [w.far] and len(listed(groups[10])) == 5
    assert (groups[12].strip(), groups[14]) == ("—", "0")
    weekly_page = client.get("/console/analytics", params={**MONTH, "interval": "week"}).text
    assert '<th scope="row">2026-W45</th>' in weekly_page
    assert client.get("/console/analytics", params={**MONTH, "interval": "month"}).status_code == 422
