"""The figures read from a real store (SQLite, or PostgreSQL with ORDERTRAIL_TEST_DATABASE_URL), after a small
history recorded through the API: exact numbers, drill-down ids, and one merchant never counting another's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.kpis import Kpi, Outcome
from ordertrail.domain.analytics.period import Period
from ordertrail.services.analytics import delivery
from ordertrail.services.context import Services
from ordertrail.storage.accounts import merchants as merchant_store
from tests.conftest import auth, order_body, scan_body

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))


def test_figures_and_drilldowns_from_the_store(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    scanner = make_key("scanner", name="hub")

    def place(key: str, promised: str | None) -> str:
        body = order_body(placed_at=T0.isoformat(), promised_delivery_date=promised)
        response = client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    def scan(number: str, status: str, hours: float, **extra: Any) -> str:
        body = scan_body(number, status, at=T0 + timedelta(hours=hours), **extra)
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
        return str(body["event_id"])

    on_time, late, voided, other = (place(shop_a, "2026-11-04"), place(shop_a, "2026-11-03"),
                                    place(shop_a, "2026-11-04"), place(shop_b, "2026-11-04"))  # fmt: skip
    for number in (on_time, late, voided, other):
        scan(number, "dispatched", 2)
    scan(on_time, "delivered", 26)
    scan(late, "delivery_attempted", 40)
    scan(late, "delivered", 74)
    wrong = scan(voided, "delivered", 30)
    scan(voided, "correction", 31, voids_event_id=wrong, location=None)
    scan(other, "delivered", 5)

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
    assert every.total.transits[Kpi.TRANSIT_FROM_DISPATCH].count == 3

    # The parcel list filtered the same way lists exactly the counted parcels, and scoped by the key.
    def listed(key: str, **params: str) -> list[str]:
        response = client.get("/api/v1/parcels", params={"from": "2026-11-01", "to": "2026-11-30", **params},
                              headers=auth(key))  # fmt: skip
        assert response.status_code == 200, response.text
        return [p["tracking_number"] for p in response.json()["parcels"]]

    admin = make_key("admin", name="root")
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
