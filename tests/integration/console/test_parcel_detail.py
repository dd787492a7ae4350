"""A parcel's detail and one timeline, and internal notes, over HTTP on a real store (SQLite, or PostgreSQL with
ORDERTRAIL_TEST_DATABASE_URL): scans with late and voided ones marked, estimates, emails through a real SMTP
server and webhooks to a real receiver with every attempt, staff actions and notes in time order; merchant
scoping; the contact only for roles that may see it; notes' permission, validation, idempotency and CSRF."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.console import notes as note_store
from ordertrail.storage.orders import parcels as parcel_store
from ordertrail.storage.staff import audit as audit_store
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.notify import Received, Receiver, SmtpServer, receiver, settled, smtp_server
from tests.support.staff import FAST_HASHING, TEST_ACTOR, csrf_of, staff_user

__all__ = ["receiver", "smtp_server"]


def fail_first(_: Request, __: bytes, earlier: list[Received]) -> Response:
    """Each webhook is refused once (503), then accepted: two attempts per message."""
    return Response("ok", status_code=200) if earlier else Response("busy", status_code=503)


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
        webhook_ports="*",
        webhook_retry_delays="50ms,50ms,50ms",
        **FAST_HASHING,
    )


class Shop:
    """Shop A: one order of two parcels, scanned with a late scan and a voided one, a webhook endpoint that
    refuses each message once; Shop B: an order of its own."""

    def __init__(self, client: TestClient, make_key: Callable[..., str], settings: Settings, hooks: Receiver) -> None:
        self.client = client
        self.key_a = make_key("merchant", merchant="Shop A")
        self.key_b = make_key("merchant", merchant="Shop B")
        self.admin = make_key("admin", name="root")
        self.scanner = make_key("scanner", name="hub")
        hooks.behaviour = fail_first
        endpoint = client.post("/api/v1/webhook-endpoints", json={"url": hooks.url}, headers=auth(self.key_a))
        assert endpoint.status_code == 201, endpoint.text
        now = datetime.now(UTC)
        self.numbers = self.place(self.key_a, "A-1", now - timedelta(hours=10), parcels=2)
        self.other_shop = self.place(self.key_b, "B-1", now - timedelta(hours=10))[0]
        self.number = self.numbers[0]
        self.scan("dispatched", now - timedelta(hours=6))
        self.scan("in_transit", now - timedelta(hours=3), facility="Hub South")
        self.late = self.scan("in_transit", now - timedelta(hours=5), facility="Hub North")  # arrives after 3h's
        self.wrong = self.scan("out_for_delivery", now - timedelta(hours=2))
        self.scan("correction", now - timedelta(hours=1), voids_event_id=self.wrong)
        wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="emails and webhooks settled")

    def place(self, key: str, number: str, placed: datetime, *, parcels: int = 1) -> list[str]:
        body = order_body(order_number=number, placed_at=placed.isoformat(), parcels=[{"weight_grams": 100}] * parcels)
        response = self.client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        return [p["tracking_number"] for p in response.json()["parcels"]]

    def scan(self, status: str, at: datetime, *, facility: str = "Depot East", **extra: Any) -> str:
        body = scan_body(self.number, status, at=at, location={"facility": facility, "country": "GB"}, **extra)
        response = self.client.post("/api/v1/scans", json=body, headers=auth(self.scanner))
        assert response.status_code in (200, 201), response.text
        return str(body["event_id"])

    def timeline(self, key: str, number: str | None = None) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/parcels/{number or self.number}/timeline", headers=auth(key))
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def note(self, key: str, message: Any, *, idempotency_key: str | None = None, number: str | None = None) -> Any:
        headers = auth(key) | ({"Idempotency-Key": idempotency_key} if idempotency_key else {})
        return self.client.post(
            f"/api/v1/parcels/{number or self.number}/notes", json={"message": message}, headers=headers
        )


@pytest.fixture
def shop(client: TestClient, make_key: Callable[..., str], settings: Settings, receiver: Receiver) -> Shop:
    return Shop(client, make_key, settings, receiver)


def kinds(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in document["timeline"] if e["kind"] == kind]


def instant(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


def test_one_timeline_holds_scans_estimates_emails_webhooks_with_attempts_in_time_order(shop: Shop) -> None:
    document = shop.timeline(shop.key_a)
    timeline = document["timeline"]
    assert [instant(e) for e in timeline] == sorted(instant(e) for e in timeline)

    scans = kinds(document, "scan")
    assert [s["status"] for s in scans] == [
        "order_placed",
        "dispatched",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "correction",
    ]
    marked = {s["event_id"]: (s["late"], s["voided"]) for s in scans}
    assert marked[shop.late] == (True, False)
    assert marked[shop.wrong] == (False, True)
    assert sum(late for late, _ in marked.values()) == 1 and sum(v for _, v in marked.values()) == 1
    assert document["status"] == "in_transit"  # the voided out_for_delivery moved nothing

    assert kinds(document, "estimate"), "the dispatch scan gives the parcel an estimate"

    emails = kinds(document, "email")
    assert emails and all(e["state"] == "delivered" for e in emails)
    assert all(e["recipient"] == "ada@example.com" for e in emails)
    assert all([a["succeeded"] for a in e["attempts"]] == [True] for e in emails)
    assert all(e["finished_at"] is not None for e in emails)

    webhooks = kinds(document, "webhook")
    # One webhook per recorded event that notifies (order_placed, dispatched, in_transit, the correction's effect…),
    # each refused once and then delivered.
    assert len(webhooks) >= 3 and all(w["state"] == "delivered" for w in webhooks)
    for webhook in webhooks:
        assert [a["status_code"] for a in webhook["attempts"]] == [503, 200]
        assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in webhook["attempts"])

    assert [p["tracking_number"] for p in document["order"]["other_parcels"]] == [shop.numbers[1]]
    assert document["order"]["customer"]["email"] == "ada@example.com"
    # The other parcel's webhooks are not on this one's timeline; the order's confirmation email names both.
    other = shop.timeline(shop.key_a, shop.numbers[1])
    assert {w["message_id"] for w in kinds(other, "webhook")}.isdisjoint(w["message_id"] for w in webhooks)
    assert kinds(other, "email")[0]["message_id"] == emails[0]["message_id"]


def test_merchants_see_only_their_own_parcels_timelines_and_notes(shop: Shop) -> None:
    for path in (f"/api/v1/parcels/{shop.number}/timeline", "/api/v1/parcels/OTXXXXXXXXXXX/timeline"):
        response = shop.client.get(path, headers=auth(shop.key_b))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert shop.note(shop.key_b, "Not mine").status_code == 404
    assert shop.timeline(shop.key_b, shop.other_shop)["order"]["order_number"] == "B-1"
    assert shop.timeline(shop.admin)["tracking_number"] == shop.number
    assert kinds(shop.timeline(shop.key_a), "note") == []  # B's attempt wrote nothing
    assert shop.client.get(f"/api/v1/parcels/{shop.number}/timeline", headers=auth(shop.scanner)).status_code == 403
    assert shop.client.get(f"/api/v1/parcels/{shop.number}/timeline").status_code == 401


def test_a_note_is_written_once_per_idempotency_key_audited_and_on_the_timeline(shop: Shop) -> None:
    key = str(uuid.uuid4())
    first = shop.note(shop.key_a, "  Customer called: leave with the neighbour.\n", idempotency_key=key)
    assert first.status_code == 201, first.text
    assert first.json()["message"] == "Customer called: leave with the neighbour."
    again = shop.note(shop.key_a, "Customer called: leave with the neighbour.", idempotency_key=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    conflict = shop.note(shop.key_a, "Something else", idempotency_key=key)
    assert conflict.status_code == 409
    assert conflict.json()["errors"] == [{"field": "Idempotency-Key", "reason": conflict.json()["detail"]}]

    document = shop.timeline(shop.key_a)
    notes = kinds(document, "note")
    assert [n["message"] for n in notes] == ["Customer called: leave with the neighbour."]
    assert document["timeline"][-1] == notes[0]  # the newest entry: written after every scan and message
    assert notes[0]["author"]["kind"] == "key"
    assert kinds(document, "action") == []  # the note's audit entry is shown once, as the note

    audit = shop.client.get(
        "/api/v1/audit-log", params={"tracking_number": shop.number}, headers=auth(shop.admin)
    ).json()["entries"]
    assert [(e["action"], e["detail"]["note_id"]) for e in audit] == [("parcel.note_added", notes[0]["id"])]


def test_every_audit_entry_naming_the_parcel_is_an_action_on_its_timeline(
    shop: Shop, run_services: Callable[..., Any]
) -> None:
    # No console action but notes names a parcel yet: an entry as the later actions (cancel, void…) will write it.
    async def work(services: Services) -> None:
        at = datetime.now(UTC)
        for number in (shop.number, shop.numbers[1]):
            await services.db.write(
                lambda c, n=number: audit_store.append(
                    c, actor=TEST_ACTOR, action="parcel.cancelled", at=at, merchant_id=None, tracking_number=n
                )
            )

    run_services(work)
    actions = kinds(shop.timeline(shop.key_a), "action")
    assert [(a["action"], a["actor"]["name"]) for a in actions] == [("parcel.cancelled", "tests")]
    assert shop.timeline(shop.key_a)["timeline"][-1] == actions[0]


def test_a_bad_note_or_idempotency_key_is_a_problem_naming_the_field(shop: Shop) -> None:
    url = f"/api/v1/parcels/{shop.number}/notes"
    for body in ({"message": "   "}, {}, {"message": "a\x00b"}, {"message": 3}, {"message": "x" * 4001}):
        response = shop.client.post(url, json=body, headers=auth(shop.key_a))
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["message"], body
    response = shop.note(shop.key_a, "Hello", idempotency_key="x" * 201)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert kinds(shop.timeline(shop.key_a), "note") == []


def test_a_second_insert_under_one_key_writes_nothing(shop: Shop, run_services: Callable[..., Any]) -> None:
    """What a retry racing the first request meets after its look-up found nothing: the store decides (ON CONFLICT
    DO NOTHING), the insert writes nothing and says so, and the service answers with the first note."""
    author = Actor(kind=ActorKind.KEY, name="shop", id=999)

    async def work(services: Services) -> list[Any]:
        results = []
        for _ in range(2):
            results.append(
                await services.db.write(
                    lambda c: note_store.add_note(
                        c,
                        parcel_id=_parcel_id(c, shop.number),
                        author=author,
                        message="Once",
                        at=datetime.now(UTC),
                        idempotency_key="race-1",
                        body_hash="h",
                    )
                )
            )
        return results

    first, second = run_services(work)
    assert first is not None and first.message == "Once" and second is None
    assert [n["id"] for n in kinds(shop.timeline(shop.key_a), "note")] == [first.id]


def _parcel_id(connection: Any, number: str) -> int:
    return parcel_store.parcels_by_tracking_number(connection, [number])[number].id


def signed_in_as(shop: Shop, run_services: Callable[..., Any], settings: Settings, *user: str) -> TestClient:
    """The app's client with a new session of that user (one running app: the sessions take turns)."""
    shop.client.cookies.clear()
    staff_user(shop.client, run_services, settings, *user)
    return shop.client


def test_staff_roles_on_the_detail_page_notes_contact_and_csrf(
    shop: Shop, run_services: Callable[..., Any], settings: Settings
) -> None:
    path = f"/console/parcels/{shop.number}"
    viewer = signed_in_as(shop, run_services, settings, "viewer@a.example", "viewer", "Shop A")
    # The list links each parcel to its detail.
    assert f'href="{path}"' in viewer.get("/console/parcels").text

    # The viewer reads the timeline without the customer's contact, and may not add notes (page or API).
    page = viewer.get(path)
    assert page.status_code == 200 and "Dispatched" in page.text and 'data-mark="voided"' in page.text
    assert "ada@example.com" not in page.text and 'name="message"' not in page.text
    assert "email" not in viewer.get(f"/api/v1/parcels/{shop.number}/timeline").json()["order"]["customer"]
    token = csrf_of(page.text)
    refused = viewer.post(f"{path}/notes", data={"csrf_token": token, "message": "Hi"}, follow_redirects=False)
    assert refused.status_code == 403
    api = viewer.post(f"/api/v1/parcels/{shop.number}/notes", json={"message": "Hi"}, headers={"X-CSRF-Token": token})
    assert api.status_code == 403

    # Support sees the contact; its note needs the session's token, and comes from this site only.
    support = signed_in_as(shop, run_services, settings, "support@a.example", "support", "Shop A")
    page = support.get(path)
    assert "ada@example.com" in page.text
    token = csrf_of(page.text)
    for data, headers in (
        ({"message": "No token"}, {}),
        ({"csrf_token": "guessed", "message": "Wrong token"}, {}),
        ({"csrf_token": token, "message": "Other site"}, {"Origin": "https://evil.example"}),
    ):
        response = support.post(f"{path}/notes", data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403, data
    no_header = support.post(f"/api/v1/parcels/{shop.number}/notes", json={"message": "No token"})
    assert no_header.status_code == 403
    assert kinds(shop.timeline(shop.key_a), "note") == []

    empty = support.post(f"{path}/notes", data={"csrf_token": token, "message": "  "}, follow_redirects=False)
    assert empty.status_code == 422 and "Write the note first" in empty.text
    added = support.post(
        f"{path}/notes",
        data={"csrf_token": token, "message": "Parcel re-labelled at the hub", "idempotency_key": "form-1"},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == f"{path}?done=note#timeline"
    twice = support.post(
        f"{path}/notes",
        data={"csrf_token": token, "message": "Parcel re-labelled at the hub", "idempotency_key": "form-1"},
        follow_redirects=False,
    )
    assert twice.status_code == 303  # a double submit writes the note once
    shown = support.get(added.headers["location"])
    assert "Note added." in shown.text and shown.text.count("Parcel re-labelled at the hub") == 1
    assert [n["author"]["name"] for n in kinds(shop.timeline(shop.key_a), "note")] == ["support@a.example"]

    # Shop B's merchant user: not found, on the page and through the API with its session, even with a bad note.
    other = signed_in_as(shop, run_services, settings, "owner@b.example", "merchant", "Shop B")
    assert other.get(path).status_code == 404
    token = csrf_of(other.get("/console/parcels").text)
    for text in ("  ", "Mine now"):
        posted = other.post(f"{path}/notes", data={"csrf_token": token, "message": text}, follow_redirects=False)
        assert posted.status_code == 404 and "Parcel re-labelled" not in posted.text
    assert other.get(f"/api/v1/parcels/{shop.number}/timeline").status_code == 404
