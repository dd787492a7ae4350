"""Handover reconciliation: a parcel its courier never picked up is queued after its lane's window (not before) and
announced to the merchant once; a courier event dated before the dispatch scan is flagged, whichever of the two is
recorded first."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from standardwebhooks import Webhook

from ordertrail.app import create_app
from ordertrail.domain.couriers.reconciliation import PICKUP_DEFAULT
from ordertrail.domain.tracking.tracking_number import generate
from ordertrail.services.context import Services
from ordertrail.services.couriers.reconciliation import reconcile
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.integration.couriers.test_carrier_events import Courier, outcomes
from tests.integration.couriers.test_carrier_events import event as courier_event
from tests.support.clock import FakeClock
from tests.support.notify import Receiver, receiver, settled
from tests.support.openapi import assert_webhook_documented
from tests.support.staff import FAST_HASHING, staff_user

__all__ = ["receiver"]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,
        webhook_ports="*",
        worker_poll_seconds=0.05,
        eta_sweep_seconds=3600,  # the app's own pass runs once, at start; the test runs the others at its times
        **FAST_HASHING,
    )


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def reconciled(run_services: Callable[..., Any], clock: FakeClock) -> list[str]:
    """One reconciliation pass at the clock's time; the tracking numbers it flagged."""

    async def work(services: Services) -> list[str]:
        return (await reconcile(dataclasses.replace(services, clock=clock))).flagged

    result: list[str] = run_services(work)
    return result


def listed(client: TestClient, key: str, **params: str) -> list[str]:
    response = client.get("/api/v1/parcels", params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return sorted(p["tracking_number"] for p in response.json()["parcels"])


def tile(html: str, href: str) -> int:
    found = re.search(re.escape(f'href="{href}"') + r'><span class="tile-count">(\d+)</span>', html)
    assert found is not None, href
    return int(found.group(1))


def test_a_parcel_never_picked_up_is_queued_after_the_window_not_before_and_announced_once(
    client: TestClient,
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    receiver: Receiver,
) -> None:
    merchant, other = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    scanner, admin = make_key("scanner"), make_key("admin")
    endpoint = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": receiver.url, "event_types": ["parcel.not_picked_up"]},
        headers=auth(merchant),
    ).json()
    dpd = Courier(client, admin, courier="dpd")
    numbers: dict[str, str] = {}
    for name in ("silent", "accepted", "early"):
        order = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()
        numbers[name] = order["parcels"][0]["tracking_number"]
        scan = scan_body(numbers[name], "dispatched", at=clock.now)
        assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201
        handover = {"courier": "dpd", "tracking_number": f"DPD-{name.upper()}-1"}
        answer = client.post(f"/api/v1/parcels/{numbers[name]}/handover", json=handover, headers=auth(merchant))
        assert answer.status_code == 200, answer.text
    dispatched_at = clock.now
    clock.advance(timedelta(hours=2))
    courier_events = [
        courier_event("a1", "PICKUP", clock.now - timedelta(minutes=5), number="DPD-ACCEPTED-1"),
        courier_event(
            "e1", "PICKUP", dispatched_at - timedelta(hours=1), number="DPD-EARLY-1"
        ),  # before the dispatch scan
    ]
    assert outcomes(dpd.post(courier_events)) == ["created", "created"]

    # A minute before the window ends (no lane history: the default, 24 hours from dispatch): not queued.
    clock.set(dispatched_at + PICKUP_DEFAULT - timedelta(minutes=1))
    assert reconciled(run_services, clock) == []
    assert listed(client, merchant, not_picked_up="true") == []

    # A minute after: the silent parcel, and only it, is queued (the early one was picked up, only oddly dated).
    clock.set(dispatched_at + PICKUP_DEFAULT + timedelta(minutes=1))
    assert reconciled(run_services, clock) == [numbers["silent"]]
    assert listed(client, merchant, not_picked_up="true") == [numbers["silent"]]
    assert listed(client, admin, not_picked_up="true") == [numbers["silent"]]
    assert listed(client, other, not_picked_up="true") == []
    assert listed(client, merchant, not_picked_up="false") == sorted([numbers["accepted"], numbers["early"]])
    assert listed(client, merchant, courier_early="true") == [numbers["early"]]
    bad = client.get("/api/v1/parcels", params={"not_picked_up": "maybe"}, headers=auth(admin))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "not_picked_up"

    # The overview's queue counts exactly the parcels its link lists.
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    html = client.get("/console").text
    assert tile(html, "/console/parcels?not_picked_up=true") == 1
    assert tile(html, "/console/parcels?courier_early=true") == 1
    page = client.get("/console/parcels?not_picked_up=true").text
    assert numbers["silent"] in page and numbers["accepted"] not in page
    # The early event is marked on the parcel's timeline (the API's and the page's).
    timeline = client.get(f"/api/v1/parcels/{numbers['early']}/timeline").json()["timeline"]
    marks = [(e["status"], e["courier"], e["before_dispatch"]) for e in timeline if e["kind"] == "scan"]
    assert ("in_transit", "dpd", True) in marks and ("dispatched", None, False) in marks
    assert "Before dispatch" in client.get(f"/console/parcels/{numbers['early']}").text

    # One webhook, documented; a later pass announces nothing again, nor does the same handover sent again.
    again = {"courier": "dpd", "tracking_number": "DPD-SILENT-1"}
    assert client.post(f"/api/v1/parcels/{numbers['silent']}/handover", json=again, headers=auth(merchant)).is_success
    assert listed(client, merchant, not_picked_up="true") == [numbers["silent"]]
    assert reconciled(run_services, clock) == []
    wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    received = wait_for(receiver.snapshot, what="not picked up webhook")
    hooks = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in received]
    document = client.get("/openapi.json").json()
    assert [assert_webhook_documented(document, r.body, r.headers) for r in received] == hooks
    assert [(h["type"], h["data"]["tracking_number"], h["data"]["courier"]) for h in hooks] == [
        ("parcel.not_picked_up", numbers["silent"], "dpd")
    ]
    assert hooks[0]["data"]["courier_tracking_number"] == "DPD-SILENT-1"

    # The courier's first event, however late, takes the parcel out of the queue.
    late = [courier_event("s1", "PICKUP", clock.now - timedelta(minutes=1), number="DPD-SILENT-1")]
    assert outcomes(dpd.post(late)) == ["created"]
    assert listed(client, merchant, not_picked_up="true") == []
    assert tile(client.get("/console").text, "/console/parcels?not_picked_up=true") == 0
    assert reconciled(run_services, clock) == []
    assert len(receiver.snapshot()) == 1


def test_the_window_runs_from_a_handover_made_after_dispatch(
    client: TestClient, clock: FakeClock, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    merchant, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    order = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()
    number = order["parcels"][0]["tracking_number"]
    assert client.post("/api/v1/scans", json=scan_body(number, "dispatched", at=clock.now), headers=auth(scanner))
    clock.advance(timedelta(hours=30))  # handed over a day and more after dispatch: it gets the whole window
    handover = {"courier": "dpd", "tracking_number": "DPD-LATE-1"}
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    handed_over_at = clock.now
    clock.set(handed_over_at + PICKUP_DEFAULT - timedelta(minutes=1))
    assert reconciled(run_services, clock) == []
    clock.set(handed_over_at + PICKUP_DEFAULT + timedelta(minutes=1))
    assert reconciled(run_services, clock) == [number]


class Statements:
    """Counts the statements the store runs that read or write the courier events' table (every engine, every
    thread: the app's group commit runs its own)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "courier_event" in statement:
            self.seen.append(statement)


@pytest.fixture
def courier_statements() -> Iterator[Statements]:
    counter = Statements()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", counter)


def test_a_dispatch_scan_recorded_after_the_courier_event_flags_it_when_dated_after_it(
    client: TestClient,
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
) -> None:
    merchant, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    dpd = Courier(client, admin, courier="dpd")
    numbers: dict[str, str] = {}
    for name in ("early", "in_order"):
        order = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()
        numbers[name] = order["parcels"][0]["tracking_number"]
        # Handed over by API before any dispatch scan (the warehouse's scanner syncs later).
        handover = {"courier": "dpd", "tracking_number": f"DPD-{name.upper().replace('_', '')}-2"}
        answer = client.post(f"/api/v1/parcels/{numbers[name]}/handover", json=handover, headers=auth(merchant))
        assert answer.status_code == 200, answer.text
    clock.advance(timedelta(hours=3))
    picked_up = clock.now - timedelta(hours=2)
    courier_events = [
        courier_event("x1", "PICKUP", picked_up, number="DPD-EARLY-2"),
        courier_event("x2", "PICKUP", picked_up, number="DPD-INORDER-2"),
    ]
    assert outcomes(dpd.post(courier_events)) == ["created", "created"]
    assert listed(client, merchant, courier_early="true") == []  # no dispatch scan yet: nothing to be early of

    # The warehouse's dispatch scans arrive now: one dated after the courier's pickup, one before it.
    scans = [
        scan_body(numbers["early"], "dispatched", at=picked_up + timedelta(minutes=30)),
        scan_body(numbers["in_order"], "dispatched", at=picked_up - timedelta(minutes=30)),
    ]
    response = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner))
    assert [r["outcome"] for r in response.json()["results"]] == ["created", "created"], response.text
    assert listed(client, merchant, courier_early="true") == [numbers["early"]]
    assert listed(client, merchant, courier_early="false") == [numbers["in_order"]]
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    assert tile(client.get("/console").text, "/console/parcels?courier_early=true") == 1
    page = client.get("/console/parcels?courier_early=true").text
    assert numbers["early"] in page and numbers["in_order"] not in page
    timeline = client.get(f"/api/v1/parcels/{numbers['early']}/timeline", headers=auth(merchant)).json()
    marks = [(e["status"], e["courier"], e["before_dispatch"]) for e in timeline["timeline"] if e["kind"] == "scan"]
    assert ("in_transit", "dpd", True) in marks and ("dispatched", None, False) in marks

    # A resend of the scan changes nothing; a later dispatch scan is not the dispatch time (the first one is).
    resent = client.post("/api/v1/scans", json=scans[0], headers=auth(scanner))
    assert resent.status_code == 200 and resent.json()["outcome"] == "duplicate", resent.text
    later = scan_body(numbers["early"], "dispatched", at=picked_up + timedelta(hours=1))
    assert client.post("/api/v1/scans", json=later, headers=auth(scanner)).status_code == 201
    assert listed(client, merchant, courier_early="true") == [numbers["early"]]
    # An out-of-order dispatch scan dated before the courier's pickup makes that the dispatch time: the pickup
    # is no longer early, on the timeline as in the count.
    earliest = scan_body(numbers["early"], "dispatched", at=picked_up - timedelta(minutes=5))
    assert client.post("/api/v1/scans", json=earliest, headers=auth(scanner)).status_code == 201
    assert listed(client, merchant, courier_early="true") == []
    assert 'href="/console/parcels?courier_early=true"' not in client.get("/console").text  # the tile shows while any
    timeline = client.get(f"/api/v1/parcels/{numbers['early']}/timeline", headers=auth(merchant)).json()
    assert not any(e["before_dispatch"] for e in timeline["timeline"] if e["kind"] == "scan")


def test_only_a_batch_holding_dispatch_scans_reads_the_courier_events(
    client: TestClient, clock: FakeClock, make_key: Callable[..., str], courier_statements: Statements
) -> None:
    merchant, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    numbers = [
        client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0]["tracking_number"]
        for _ in range(5)
    ]
    handover = {"courier": "dpd", "tracking_number": "DPD-COUNTED-1"}
    assert client.post(f"/api/v1/parcels/{numbers[0]}/handover", json=handover, headers=auth(merchant)).is_success

    clock.advance(timedelta(hours=1))

    def batch(status: str) -> None:
        clock.advance(timedelta(minutes=1))
        scans = [scan_body(n, status, at=clock.now) for n in numbers]
        response = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=auth(scanner))
        assert [r["outcome"] for r in response.json()["results"]] == ["created"] * 5, response.text

    courier_statements.seen.clear()
    batch("in_transit")
    assert courier_statements.seen == []
    batch("dispatched")
    assert len(courier_statements.seen) == 1, courier_statements.seen
    courier_statements.seen.clear()
    batch("in_transit")
    assert courier_statements.seen == []


def test_a_dispatch_scan_attached_from_the_unmatched_ones_flags_the_earlier_courier_event(
    client: TestClient, clock: FakeClock, make_key: Callable[..., str]
) -> None:
    # Every way a dispatch scan is recorded goes through the scan transaction: here a misread number's scan,
    # attached by operations after the courier's event arrived.
    merchant, scanner, admin = make_key("merchant", merchant="Shop A"), make_key("scanner"), make_key("admin")
    dpd = Courier(client, admin, courier="dpd")
    number = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0][
        "tracking_number"
    ]
    handover = {"courier": "dpd", "tracking_number": "DPD-ATTACHED-1"}
    assert client.post(f"/api/v1/parcels/{number}/handover", json=handover, headers=auth(merchant)).is_success
    clock.advance(timedelta(hours=3))
    picked_up = clock.now - timedelta(hours=2)
    assert outcomes(dpd.post([courier_event("y1", "PICKUP", picked_up, number="DPD-ATTACHED-1")])) == ["created"]
    misread = scan_body(generate(), "dispatched", at=picked_up + timedelta(minutes=10))
    assert client.post("/api/v1/scans", json=misread, headers=auth(scanner)).status_code == 404
    assert listed(client, merchant, courier_early="true") == []
    (kept,) = client.get("/api/v1/unmatched-scans", headers=auth(admin)).json()["unmatched_scans"]
    attached = client.post(
        f"/api/v1/unmatched-scans/{kept['id']}/attach", json={"tracking_number": number}, headers=auth(admin)
    )
    assert attached.status_code == 200 and attached.json()["outcome"] == "created", attached.text
    assert listed(client, merchant, courier_early="true") == [number]
