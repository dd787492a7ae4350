"""Time in each step, dwell per facility and "dwelling now" from a real store (SQLite, or PostgreSQL with
ORDERTRAIL_TEST_DATABASE_URL), after a history recorded through the API, with its true figures written out: the
API's numbers, each link listing exactly what it counted, the overview's queue count equal to the list it links
to (and to the bulk preview of that list), and one merchant never seeing another's parcels.

The history is dated from now (the server's real clock), days back, so "now" never falls near a threshold: the
parcels that dwell have waited about 119 hours against p90s of 10 and 20.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordertrail.domain.analytics.spans import is_dwelling, stay_of
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.stay import current_stay, scans_of
from ordertrail.services.analytics import spans
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.analytics.records import parcel_records
from ordertrail.storage.migrate import alembic_config, upgrade
from ordertrail.storage.orders.parcels import parcels_by_id, parcels_by_tracking_number
from ordertrail.storage.tables import facility_visit
from tests.conftest import auth, order_body, scan_body
from tests.support.staff import FAST_HASHING, staff_user

NOW = datetime.now(UTC)
B = NOW - timedelta(days=5)  # the history's start
LEEDS, NORTH, SOUTH = "Leeds DC", "Hub North", "Hub South"
FROM, TO = (B - timedelta(days=2)).date().isoformat(), NOW.date().isoformat()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", **FAST_HASHING)


def test_step_times_dwell_and_the_dwelling_queue(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    admin, scanner = make_key("admin", name="root"), make_key("scanner", name="hubs")

    def place(key: str) -> str:
        body = order_body(placed_at=(B - timedelta(hours=1)).isoformat())
        response = client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    def scan(number: str, status: str, at: datetime, facility: str | None, **extra: Any) -> str:
        location = {"facility": facility, "city": "Leeds", "country": "GB"} if facility else None
        body = scan_body(number, status, at=at, location=location, **extra)
        response = client.post("/api/v1/scans", json=body, headers=auth(scanner))
        assert response.status_code == 201, response.text
        return str(body["event_id"])

    def h(hours: float) -> datetime:
        return B + timedelta(hours=hours)

    p1, p2, p4, p6, p7 = (place(shop_a) for _ in range(5))
    p3, p5 = place(shop_b), place(shop_b)
    # p1: dispatched 4 h, in transit 6 h, out for delivery 2 h; Leeds 4 h, North 6 h (the South scan is voided).
    scan(p1, "dispatched", h(0), LEEDS)
    scan(p1, "in_transit", h(4), NORTH)
    wrong = scan(p1, "in_transit", h(5), SOUTH)
    scan(p1, "correction", h(5.5), None, voids_event_id=wrong)
    scan(p1, "out_for_delivery", h(10), None)
    scan(p1, "delivered", h(12), None)
    # p2: dispatched 10, in transit 20, out for delivery 1; Leeds 10, North 20.
    for status, hours, facility in (("dispatched", 0, LEEDS), ("in_transit", 10, NORTH),
                                    ("out_for_delivery", 30, None), ("delivered", 31, None)):  # fmt: skip
        scan(p2, status, h(hours), facility)
    # p3 (Shop B): dispatched 2, in transit 2, out for delivery 1; Leeds 2, North 2.
    for status, hours, facility in (("dispatched", 0, LEEDS), ("in_transit", 2, NORTH),
                                    ("out_for_delivery", 4, None), ("delivered", 5, None)):  # fmt: skip
        scan(p3, status, h(hours), facility)
    # p4 (A) and p5 (B): dispatched 1 h, Leeds 1 h; at North since h(1): about 119 h, dwelling.
    for number in (p4, p5):
        scan(number, "dispatched", h(0), LEEDS)
        scan(number, "in_transit", h(1), NORTH)
    # p6 (A): Leeds 1 h, dispatched 1 h; at North for 2 h: not dwelling.
    scan(p6, "dispatched", NOW - timedelta(hours=3), LEEDS)
    scan(p6, "in_transit", NOW - timedelta(hours=2), NORTH)
    # p7 (A): at Leeds since h(0), about 120 h: dwelling.
    scan(p7, "dispatched", h(0), LEEDS)

    def listed(key: str, **params: str) -> list[str]:
        response = client.get("/api/v1/parcels", params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        return sorted(p["tracking_number"] for p in response.json()["parcels"])

    def get(path: str, key: str) -> dict[str, Any]:
        response = client.get(path, params={"from": FROM, "to": TO}, headers=auth(key))
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    # Every merchant: Leeds [1, 1, 1, 2, 4, 10] (p50: rank 3, p90: rank 6), North [2, 6, 20].
    dwell = get("/api/v1/analytics/dwell", admin)
    assert {f["facility"]: (f["parcels_counted"], f["p50_hours"], f["p90_hours"]) for f in dwell["facilities"]} == {
        LEEDS: (6, 1.0, 10.0),
        NORTH: (3, 6.0, 20.0),
    }
    # Dwelling now against those p90s: p4, p5 (North) and p7 (Leeds); each merchant sees only its own.
    assert dwell["dwelling_now"]["count"] == 3
    assert listed(admin, dwelling="true") == sorted([p4, p5, p7])
    assert listed(shop_a, dwelling="true") == sorted([p4, p7])
    assert listed(shop_b, dwelling="true") == [p5]
    assert listed(shop_a, dwelling="true", facility=NORTH) == [p4]  # with the list's other filters

    # Shop A alone: dispatched [1, 1, 4, 10], in transit [6, 20], out for delivery [1, 2]; Leeds [1, 1, 4, 10],
    # North [6, 20]. Each link lists exactly the parcels counted, for the key that asked.
    steps = get("/api/v1/analytics/step-times", shop_a)["steps"]
    assert [(s["step"], s["parcels_counted"], s["p50_hours"], s["p90_hours"]) for s in steps] == [
        ("processing", 0, None, None),
        ("packed", 0, None, None),
        ("dispatched", 4, 1.0, 10.0),
        ("in_transit", 2, 6.0, 20.0),
        ("out_for_delivery", 2, 1.0, 2.0),
    ]
    a_dwell = get("/api/v1/analytics/dwell", shop_a)
    assert {f["facility"]: (f["parcels_counted"], f["p50_hours"], f["p90_hours"]) for f in a_dwell["facilities"]} == {
        LEEDS: (4, 1.0, 10.0),
        NORTH: (2, 6.0, 20.0),
    }
    in_transit = client.get(steps[3]["parcels"], headers=auth(shop_a)).json()["parcels"]
    assert sorted(p["tracking_number"] for p in in_transit) == sorted([p1, p2])
    north = next(f for f in a_dwell["facilities"] if f["facility"] == NORTH)
    assert sorted(
        p["tracking_number"] for p in client.get(north["parcels"], headers=auth(shop_a)).json()["parcels"]
    ) == sorted([p1, p2])
    for figure in [*steps, *a_dwell["facilities"]]:
        assert len(client.get(figure["parcels"], headers=auth(shop_a)).json()["parcels"]) == figure["parcels_counted"]
    assert a_dwell["dwelling_now"]["count"] == 2
    assert len(client.get(a_dwell["dwelling_now"]["parcels"], headers=auth(shop_a)).json()["parcels"]) == 2

    # Bad values: problem+json naming the parameter.
    refused = client.get("/api/v1/parcels", params={"dwelling": "false"}, headers=auth(admin))
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["dwelling"]
    refused = client.get("/api/v1/parcels", params={"kpi": "dwell", "from": FROM, "to": TO, "kpi_step": "packed"},
                         headers=auth(admin))  # fmt: skip
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["kpi_step"]
    refused = client.get("/api/v1/analytics/dwell", params={"from": TO}, headers=auth(admin))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"

    # Shop A's merchant user: the overview's queue count equals the list it links to, and both are Shop A's.
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    overview = client.get("/console")
    assert overview.status_code == 200, overview.text
    tile = re.search(r'href="(/console/parcels\?dwelling=true)"><span class="tile-count">(\d+)</span>', overview.text)
    assert tile is not None, overview.text
    queue = client.get(tile.group(1))
    assert queue.status_code == 200
    numbers = sorted(set(re.findall(r"/console/parcels/(OT[0-9A-Z]+)", queue.text)))
    assert int(tile.group(2)) == len(numbers) == 2
    assert numbers == sorted([p4, p7])
    # "Act on all of these…" previews exactly that list too, not every parcel of the shop.
    bulk = client.get("/console/bulk", params={"dwelling": "true"})
    assert bulk.status_code == 200, bulk.text
    assert sorted(set(re.findall(r"/console/parcels/(OT[0-9A-Z]+)", bulk.text))) == sorted([p4, p7])

    # The analytics page: the same figures, each a link to the console list of its parcels.
    page = client.get("/console/analytics", params={"from": FROM, "to": TO})
    assert page.status_code == 200, page.text
    row = re.search(r'In transit</th><td><a href="([^"]+)">(\d+)</a></td><td>([\d.]+)</td><td>([\d.]+)</td>', page.text)
    assert row is not None, page.text
    assert row.groups()[1:] == ("2", "6.0", "20.0")
    linked = client.get(row.group(1).replace("&amp;", "&"))
    assert sorted(set(re.findall(r"/console/parcels/(OT[0-9A-Z]+)", linked.text))) == sorted([p1, p2])
    leeds = re.search(rf'{LEEDS}</th><td><a href="([^"]+)">(\d+)</a></td><td>([\d.]+)</td><td>([\d.]+)</td>', page.text)
    assert leeds is not None and leeds.groups()[1:] == ("4", "1.0", "10.0")
    assert re.search(r'<span class="dwelling-count">2</span> dwelling now', page.text)


def test_the_facilities_usual_times_are_kept_for_five_minutes(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner", name="hubs")

    def place() -> str:
        body = order_body(placed_at=(B - timedelta(days=2)).isoformat())
        number: str = client.post("/api/v1/orders", json=body, headers=auth(shop)).json()["parcels"][0][
            "tracking_number"
        ]
        return number

    def scan(number: str, status: str, at: datetime, facility: str) -> None:
        body = scan_body(number, status, at=at, location={"facility": facility, "country": "GB"})
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201

    left, waiting, slow = place(), place(), place()
    scan(left, "dispatched", B, LEEDS)
    scan(left, "in_transit", B + timedelta(hours=10), NORTH)  # Leeds: 10 h, its p90
    scan(waiting, "dispatched", B, LEEDS)  # at Leeds for about 120 h: dwelling
    scan(slow, "dispatched", B - timedelta(days=2), LEEDS)  # at Leeds for about 168 h, until the scan below
    ticks = [1000.0]
    monkeypatch.setattr(spans, "monotonic", lambda: ticks[0])

    async def work(services: Services) -> list[tuple[float, int]]:
        seen = []
        for step in ("before", "ended, 299 s later", "300 s later"):
            if step == "ended, 299 s later":
                # slow leaves Leeds after about 167 h: Leeds' p90 becomes 167 h, and waiting no longer dwells.
                scan(slow, "in_transit", NOW - timedelta(hours=1), NORTH)
                ticks[0] += 299
            elif step == "300 s later":
                ticks[0] += 1
            found = await spans.dwelling_now(services, merchant_ids=None)
            seen.append((round(found.p90_hours[LEEDS]), len(found.parcel_ids)))
        # The 300 s answer still used the kept p90 and started one refresh beside it; the next answers after it.
        deadline = asyncio.get_running_loop().time() + 10
        while (found := await spans.dwelling_now(services, merchant_ids=None)).p90_hours[LEEDS] < 100:
            assert asyncio.get_running_loop().time() < deadline, "the usual times were not refreshed"
            await asyncio.sleep(0.01)
        seen.append((round(found.p90_hours[LEEDS]), len(found.parcel_ids)))
        return seen

    # The p90 read first is kept for 299 s (waiting still counted, slow no longer open there), then read again.
    assert run_services(work) == [(10, 2), (10, 1), (10, 1), (167, 0)]


def test_the_queue_from_the_projection_is_the_replay_of_every_open_parcel(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    """Scans at random facilities (some naming none), in a shuffled order (late ones replay), with corrections:
    the parcels the stored stays put past their facility's p90 are those a replay of each parcel's events does."""
    rng = random.Random(18)
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner", name="hubs")
    facilities = [LEEDS, NORTH, SOUTH, None]
    numbers = [
        client.post(
            "/api/v1/orders", json=order_body(placed_at=(B - timedelta(hours=1)).isoformat()), headers=auth(shop)
        ).json()["parcels"][0]["tracking_number"]
        for _ in range(24)
    ]
    planned: list[dict[str, Any]] = []
    for number in numbers:
        at = B
        for status in ("dispatched", "in_transit", "in_transit", "in_transit")[: rng.randint(1, 4)]:
            at += timedelta(hours=rng.uniform(1, 30))
            facility = rng.choice(facilities)
            location = {"facility": facility, "country": "GB"} if facility else {"country": "GB"}
            planned.append(scan_body(number, status, at=at, location=location))
    rng.shuffle(planned)
    for body in planned:
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
    for body in rng.sample(planned, 6):  # void a few, the latest scan of some parcels among them
        correction = scan_body(body["tracking_number"], "correction", at=NOW, voids_event_id=body["event_id"])
        assert client.post("/api/v1/scans", json=correction, headers=auth(scanner)).status_code == 201

    async def work(services: Services) -> tuple[frozenset[int], set[int], int, list[tuple[Any, Any]]]:
        found = await spans.dwelling_now(services, merchant_ids=None)
        records = await services.db.read(lambda c: parcel_records(c, period=found.reference, merchant_ids=None))
        replayed = {r.parcel_id for r in records if is_dwelling(stay_of(r.events), found.p90_hours, found.as_of)}
        stored = await services.db.read(lambda c: parcels_by_id(c, [r.parcel_id for r in records]))
        stays = [(stored[r.parcel_id].state.stay, current_stay(scans_of(derive(r.events).timeline))) for r in records]
        return found.parcel_ids, replayed, await spans.dwelling_now_count(services, merchant_ids=None), stays

    from_projection, replayed, count, stays = run_services(work)
    assert len(stays) == len(numbers) and any(kept is not None for kept, _ in stays)
    for kept, from_events in stays:  # the same facility since the same instant (stored in UTC)
        assert (kept and (kept.facility, kept.since)) == (from_events and (from_events.facility, from_events.since))
    assert replayed, "the history should leave some parcels dwelling"
    assert from_projection == replayed and count == len(replayed)


def test_the_migration_gives_every_stored_parcel_its_stay(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    """Migration 0018 replays the parcels a store already has (its own copy of the rule): taken back to 0017 and
    upgraded again, each parcel has the stay its scans give."""
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner", name="hubs")
    late, voided, plain = (
        client.post(
            "/api/v1/orders", json=order_body(placed_at=(B - timedelta(hours=1)).isoformat()), headers=auth(shop)
        ).json()["parcels"][0]["tracking_number"]
        for _ in range(3)
    )

    def scan(number: str, status: str, hours: float, facility: str | None, **extra: Any) -> str:
        location = {"facility": facility, "country": "GB"} if facility else {"country": "GB"}
        body = scan_body(number, status, at=B + timedelta(hours=hours), location=location, **extra)
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
        return str(body["event_id"])

    scan(late, "in_transit", 10, NORTH)
    scan(late, "dispatched", 2, LEEDS)  # arrives late: North since hour 10 still
    scan(late, "in_transit", 12, NORTH)
    scan(voided, "dispatched", 1, LEEDS)
    scan(voided, "in_transit", 3, LEEDS)
    wrong = scan(voided, "in_transit", 5, SOUTH)
    scan(voided, "correction", 6, None, voids_event_id=wrong)  # back at Leeds, since hour 1
    scan(plain, "dispatched", 1, LEEDS)
    scan(plain, "in_transit", 4, None)  # its latest scan names no facility

    def stays() -> dict[str, Any]:
        async def work(services: Services) -> dict[str, Any]:
            found = await services.db.read(lambda c: parcels_by_tracking_number(c, [late, voided, plain]))
            return {n: p.state.stay and (p.state.stay.facility, p.state.stay.since) for n, p in found.items()}

        found: dict[str, Any] = run_services(work)
        return found

    expected = {late: (NORTH, B + timedelta(hours=10)), voided: (LEEDS, B + timedelta(hours=1)), plain: None}
    assert stays() == expected
    visits = run_services(lambda services: services.db.read(_visits))
    assert len(visits) == 2  # late and plain left Leeds; voided is still there (its South scan is void)
    command.downgrade(alembic_config(settings.store.url), "0017")
    upgrade(settings.store.url)
    assert stays() == expected
    assert run_services(lambda services: services.db.read(_visits)) == visits


def _visits(connection: Any) -> set[tuple[int, str, datetime, datetime]]:
    rows = connection.execute(
        select(facility_visit.c.parcel_id, facility_visit.c.facility, facility_visit.c.since, facility_visit.c.until)
    )
    return {tuple(row) for row in rows}
