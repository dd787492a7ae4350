"""Bulk mark-handled and bulk resend from the parcel list, as a person uses them, on a real store, a real SMTP
server and a real webhook receiver: the preview and the selection digest are the bulk message's; a form
submitted twice acts once; a selected parcel the action does not apply to (no exception, handled already, nothing
to resend) is named and nothing is done; each parcel gets one audit entry naming the bulk action; support may
resend but not mark handled, viewers neither, and nobody acts on another merchant's parcels."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

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


def _parcel(client: TestClient, key: str, scanner: str, order_number: str, *statuses: str) -> str:
    now = datetime.now(UTC)
    body = order_body(order_number=order_number, placed_at=(now - timedelta(hours=6)).isoformat(),
                      customer={"name": "Ada", "email": f"{order_number.lower()}@example.com"})  # fmt: skip
    made = client.post("/api/v1/orders", json=body, headers=auth(key))
    assert made.status_code == 201, made.text
    number: str = made.json()["parcels"][0]["tracking_number"]
    for hours, status in zip(range(len(statuses), 0, -1), statuses, strict=True):
        extra = {"reason": "damaged"} if status == "exception" else {}
        scan = scan_body(number, status, at=now - timedelta(hours=hours), **extra)
        assert client.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201
    return number


def _form(html: str, action: str) -> dict[str, list[str]]:
    """The hidden fields of the bulk form for ``action``, as the browser would post them."""
    forms = re.findall(r'<form method="post" action="/console/bulk".*?</form>', html, re.S)
    (form,) = [f for f in forms if f'name="action" value="{action}"' in f]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        fields.setdefault(name, []).append(value)
    return fields


def _alert(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)', html)
    return "" if found is None else found.group(1)


def _audited(client: TestClient, admin: str, action: str) -> list[dict[str, Any]]:
    log = client.get("/api/v1/audit-log", params={"action": action, "limit": "200"}, headers=auth(admin))
    assert log.status_code == 200, log.text
    entries: list[dict[str, Any]] = log.json()["entries"]
    return entries


def test_bulk_mark_handled_names_parcels_without_an_exception_and_acts_once_when_submitted_twice(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ours, theirs, scanner, admin = (make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B"),
                                    make_key("scanner"), make_key("admin"))  # fmt: skip
    damaged = [_parcel(client, ours, scanner, f"H-{i}", "dispatched", "exception") for i in range(3)]
    moving = _parcel(client, ours, scanner, "H-9", "dispatched", "in_transit")
    elsewhere = _parcel(client, theirs, scanner, "X-1", "dispatched", "exception")  # Shop B's: never selected

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    preview = client.get("/console/bulk?status=exception").text
    assert 'value="resend_email"' in preview and 'value="handle"' not in preview  # support may not mark handled
    refused = client.post("/console/bulk", data={**_form(preview, "resend_email"), "action": ["handle"],
                                                 "text": ["Reshipped"]})  # fmt: skip
    assert refused.status_code == 403
    client.cookies.clear()

    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    preview = client.get("/console/bulk?merchant=Shop+A").text  # all four: one of them has no exception
    assert "Act on 4 parcels" in preview and elsewhere not in preview
    fields = {**_form(preview, "handle"), "text": ["Reshipped from the second warehouse."]}
    mixed = client.post("/console/bulk", data=fields)
    assert mixed.status_code == 409 and moving in _alert(mixed.text) and "no exception" in _alert(mixed.text)
    assert not any(n in _alert(mixed.text) for n in damaged)  # only the parcel it does not apply to is named
    assert _audited(client, admin, "parcel.exception_handled") == []  # nothing was marked

    empty = client.post("/console/bulk", data={**fields, "text": ["  "]})
    assert empty.status_code == 422 and "what was done" in _alert(empty.text).lower()

    preview = client.get("/console/bulk?status=exception").text
    assert "Act on 3 parcels" in preview and elsewhere not in preview
    fields = {**_form(preview, "handle"), "text": ["Reshipped from the second warehouse."]}
    first = client.post("/console/bulk", data=fields, follow_redirects=False)
    assert first.status_code == 303, _alert(first.text)
    again = client.post("/console/bulk", data=fields, follow_redirects=False)  # the same form, submitted again
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert "Done: 3 exceptions marked handled" in client.get(first.headers["location"]).text

    entries = _audited(client, admin, "parcel.exception_handled")
    assert sorted(e["tracking_number"] for e in entries) == sorted(damaged)  # one each, though submitted twice
    key = fields["key"][0]
    assert {e["detail"]["bulk"] for e in entries} == {key}
    assert {e["detail"]["what_was_done"] for e in entries} == {"Reshipped from the second warehouse."}
    # Out of the exceptions queue, as if each had been marked on its own page.
    queue = client.get("/api/v1/parcels", params={"status": "exception", "handled": "false"}, headers=auth(ours))
    assert queue.status_code == 200 and queue.json()["parcels"] == []

    # A new form over the same, handled, exceptions: reported, not counted again.
    preview = client.get("/console/bulk?status=exception").text
    repeated = client.post("/console/bulk", data={**_form(preview, "handle"), "text": ["Something else"]})
    assert repeated.status_code == 409 and all(n in _alert(repeated.text) for n in damaged)
    assert "marked this exception handled" in _alert(repeated.text)
    assert len(_audited(client, admin, "parcel.exception_handled")) == 3


def _hooks_about(receiver: Receiver, numbers: list[str]) -> list[dict[str, Any]]:
    found = []
    for request in receiver.snapshot():
        body = orjson.loads(request.body)
        if body["data"].get("tracking_number") in numbers:
            found.append({"id": request.webhook_id, "number": body["data"]["tracking_number"], "type": body["type"]})
    return found


def test_support_resends_email_and_replays_webhooks_in_bulk_once_and_a_parcel_with_nothing_to_resend_is_named(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    receiver: Receiver, smtp_server: SmtpServer,
) -> None:  # fmt: skip
    ours, other, scanner, admin = (make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop C"),
                                   make_key("scanner"), make_key("admin"))  # fmt: skip
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(ours))
    assert endpoint.status_code == 201, endpoint.text
    numbers = [_parcel(client, ours, scanner, f"R-{i}", "dispatched") for i in range(3)]
    no_hooks = _parcel(client, other, scanner, "C-1", "dispatched")  # Shop C has no webhook endpoint
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the first deliveries")
    hooks_before, mails_before = len(_hooks_about(receiver, numbers)), len(smtp_server.messages)
    assert hooks_before == 6  # order_placed and dispatched, for each

    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A", "Shop C")
    preview = client.get("/console/bulk?status=dispatched").text
    assert "Act on 4 parcels" in preview
    refused = client.post("/console/bulk", data={**_form(preview, "resend_webhook"), "text": ["Receiver was down"]})
    assert refused.status_code == 409 and no_hooks in _alert(refused.text), _alert(refused.text)
    assert "no webhook to an enabled endpoint" in _alert(refused.text)
    assert _audited(client, admin, "parcel.notification_resent") == []
    no_reason = client.post("/console/bulk", data={**_form(preview, "resend_email"), "text": [""]})
    assert no_reason.status_code == 422 and "reason is required" in _alert(no_reason.text)

    preview = client.get("/console/bulk?merchant=Shop+A").text
    assert "Act on 3 parcels" in preview and no_hooks not in preview
    hooks = {**_form(preview, "resend_webhook"), "text": ["Receiver was down"]}
    first = client.post("/console/bulk", data=hooks, follow_redirects=False)
    assert first.status_code == 303, _alert(first.text)
    assert (
        client.post("/console/bulk", data=hooks, follow_redirects=False).headers["location"]
        == (first.headers["location"])
    )
    assert "Done: 3 parcels&#39; webhooks replayed" in client.get(first.headers["location"]).text
    mails = {**_form(preview, "resend_email"), "text": ["Customers say the email never came"]}
    assert mails["key"] != hooks["key"]  # each form on the page is its own bulk action
    reused = client.post("/console/bulk", data={**mails, "key": hooks["key"]})  # e.g. a form copied by hand
    assert reused.status_code == 409 and "used for another bulk action" in _alert(reused.text)
    for _ in range(2):  # submitted twice: sent once
        assert client.post("/console/bulk", data=mails, follow_redirects=False).status_code == 303

    wait_for(lambda: len(_hooks_about(receiver, numbers)) >= 12, timeout=30, what="the replayed webhooks")
    wait_for(lambda: len(smtp_server.messages) - mails_before >= 3, timeout=30, what="the resent emails")
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the resends settled")
    replayed = _hooks_about(receiver, numbers)[hooks_before:]
    assert len(replayed) == 6 and sorted(h["number"] for h in replayed) == sorted(numbers * 2)
    sent = smtp_server.messages[mails_before:]
    assert sorted(str(m["To"]) for m in sent) == [f"r-{i}@example.com" for i in range(3)]

    entries = _audited(client, admin, "parcel.notification_resent")
    by_key = {k: sorted(e["tracking_number"] for e in entries if e["detail"]["bulk"] == k) for k in
              (hooks["key"][0], mails["key"][0])}  # fmt: skip
    assert by_key == {hooks["key"][0]: sorted(numbers), mails["key"][0]: sorted(numbers)} and len(entries) == 6
    assert {e["detail"]["reason"] for e in entries if e["detail"]["channel"] == "email"} == {
        "Customers say the email never came"
    }

    client.cookies.clear()
    staff_user(client, run_services, settings, "look@example.com", "viewer", "Shop A")
    token = csrf_of(client.get("/console").text)
    posted = client.post("/console/bulk", data={"csrf_token": token, "action": "resend_email", "text": "Hi",
                                               "key": "k", "digest": "x"})  # fmt: skip
    assert posted.status_code == 403
