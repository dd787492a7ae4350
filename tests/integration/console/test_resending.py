"""Resending a parcel's notifications (POST /api/v1/parcels/{n}/resend and the parcel page's buttons) through the
real outbox, to a real SMTP server and a real webhook receiver: the email arrives again, the webhooks are replayed
in order with the same bodies and new webhook-ids, each resend is audited and on the timeline, a retry under the
same Idempotency-Key (or a form submitted twice) sends nothing more; support may resend, viewers may not, and
nobody resends another merchant's parcel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.notify import Receiver, SmtpServer, receiver, settled, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["receiver", "smtp_server"]


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


def _dispatched(client: TestClient, key: str, scanner: str, order_number: str, email: str) -> str:
    now = datetime.now(UTC)
    body = order_body(
        order_number=order_number,
        placed_at=(now - timedelta(hours=3)).isoformat(),
        customer={"name": "Ada Lovelace", "email": email},
    )
    made = client.post("/api/v1/orders", json=body, headers=auth(key))
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    for hours, status in ((2, "dispatched"), (1, "in_transit")):
        scan = scan_body(number, status, at=now - timedelta(hours=hours))
        assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201
    return number


def _hooks_about(receiver: Receiver, number: str) -> list[dict[str, Any]]:
    found = []
    for request in receiver.snapshot():
        body = orjson.loads(request.body)
        if body["data"].get("tracking_number") == number:
            found.append({"id": request.webhook_id, "type": body["type"], "body": request.body})
    return found


def test_webhooks_are_replayed_in_order_and_a_retry_sends_nothing_more(
    client: TestClient, make_key: Callable[..., str], settings: Settings, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    shop, theirs, scanner = (
        make_key("merchant", merchant="Shop A"),
        make_key("merchant", merchant="Shop B"),
        make_key("scanner"),
    )
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(shop))
    assert endpoint.status_code == 201, endpoint.text
    number = _dispatched(client, shop, scanner, "A-1", "ada@example.com")
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the first deliveries")
    first = _hooks_about(receiver, number)
    assert [h["type"] for h in first] == ["parcel.order_placed", "parcel.dispatched", "parcel.in_transit"], first

    path = f"/api/v1/parcels/{number}/resend"
    assert client.post(path, json={"channel": "webhook"}, headers=auth(theirs)).status_code == 404
    assert client.post(path, json={"channel": "webhook"}, headers=auth(scanner)).status_code == 403
    bad = client.post(path, json={"channel": "pigeon"}, headers=auth(shop))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"
    unknown = client.post(path, json={"channel": "webhook", "message_id": "msg_nope"}, headers=auth(shop))
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "message_id"

    headers = {**auth(shop), "Idempotency-Key": "replay-1"}
    done = client.post(path, json={"channel": "webhook"}, headers=headers)
    assert done.status_code == 202, done.text
    resent = done.json()["resent"]
    assert [r["event_type"] for r in resent] == ["parcel.order_placed", "parcel.dispatched", "parcel.in_transit"]
    assert {r["resends"] for r in resent} == {h["id"] for h in first}
    retried = client.post(path, json={"channel": "webhook"}, headers=headers)
    assert retried.status_code == 202 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == done.json()
    other_body = client.post(path, json={"channel": "email"}, headers=headers)
    assert other_body.status_code == 409 and other_body.json()["errors"][0]["field"] == "Idempotency-Key"

    wait_for(lambda: len(_hooks_about(receiver, number)) == 6, timeout=30, what="the replayed webhooks")
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the replays settled")
    again = _hooks_about(receiver, number)[3:]
    assert [h["body"] for h in again] == [h["body"] for h in first]  # the same events, in their order
    assert [h["id"] for h in again] == [r["message_id"] for r in resent]  # under new webhook-ids
    assert len(_hooks_about(receiver, number)) == 6  # the retry sent nothing

    timeline = client.get(f"/api/v1/parcels/{number}/timeline", headers=auth(shop)).json()["timeline"]
    webhooks = [e for e in timeline if e["kind"] == "webhook"]
    assert len(webhooks) == 6 and all(w["state"] == "delivered" for w in webhooks)
    (action,) = [e for e in timeline if e["kind"] == "action" and e["action"] == "parcel.notification_resent"]
    assert action["detail"] == {"channel": "webhook", "resent": [h["id"] for h in first]}

    # Disabled endpoints get nothing: with the only one deleted, there is nothing to replay.
    endpoint_id = endpoint.json()["id"]
    assert client.delete(f"/api/v1/webhook-endpoints/{endpoint_id}", headers=auth(shop)).status_code == 204
    nothing = client.post(path, json={"channel": "webhook"}, headers=auth(shop))
    assert nothing.status_code == 409 and nothing.json()["errors"][0]["field"] == "channel"


def test_support_resends_the_email_from_the_page_once_and_a_viewer_cannot(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    shop, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    number = _dispatched(client, shop, scanner, "A-7", "grace@example.com")
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the first emails")
    before = [str(m["Subject"]) for m in smtp_server.to("grace@example.com")]
    assert before, "the order's emails"

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    page = client.get(f"/console/parcels/{number}").text
    assert "Resend the latest email" in page and "Replay the webhooks" in page
    form = page.split('action="/console/parcels/' + number + '/resend"')[1].split("</form>")[0]
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    data = {"channel": "email", "idempotency_key": key}
    path = f"/console/parcels/{number}/resend"
    assert client.post(path, data=data, follow_redirects=False).status_code == 403  # without the CSRF token
    data["csrf_token"] = csrf_of(page)
    done = client.post(path, data=data, follow_redirects=False)
    assert (
        done.status_code == 303 and done.headers["location"] == f"/console/parcels/{number}?done=resent_email#timeline"
    )
    assert client.post(path, data=data, follow_redirects=False).status_code == 303  # submitted twice: sent once
    assert "The email is queued to be sent again." in client.get(done.headers["location"]).text

    wait_for(lambda: len(smtp_server.to("grace@example.com")) == len(before) + 1, timeout=30, what="the resent email")
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the resend settled")
    after = [str(m["Subject"]) for m in smtp_server.to("grace@example.com")]
    assert after == [*before, before[-1]]  # the latest email, once more
    log = client.get("/api/v1/audit-log", params={"action": "parcel.notification_resent"}).json()["entries"]
    assert [(e["actor"]["name"], e["detail"]["channel"]) for e in log] == [("help@example.com", "email")]
    # No webhook endpoint: nothing to replay, said on the page.
    refused = client.post(path, data={**data, "channel": "webhook", "idempotency_key": key + "w"})
    assert refused.status_code == 409 and "no webhook to an enabled endpoint" in refused.text

    viewer = TestClient(create_app(settings), base_url="http://testserver")
    with viewer:
        staff_user(viewer, run_services, settings, "look@example.com", "viewer", "Shop A")
        shown = viewer.get(f"/console/parcels/{number}").text
        assert "Resend the latest email" not in shown
        token = {"X-CSRF-Token": csrf_of(shown)}
        assert (
            viewer.post(f"/api/v1/parcels/{number}/resend", json={"channel": "email"}, headers=token).status_code == 403
        )
    assert len(smtp_server.to("grace@example.com")) == len(before) + 1
