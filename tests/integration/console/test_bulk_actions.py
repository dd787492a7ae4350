"""Bulk actions from the parcel list, as a person uses them, on a real store and a real SMTP server: the preview
names exactly the parcels the filter selects; a message to 20 customers sends 20 emails once even when the form is
submitted twice; a selection changed by a scan since the preview is shown again instead of acted on; a bulk
cancel is all or nothing; every parcel gets its audit entry; roles without the permission get no form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.notify import SmtpServer, settled, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["smtp_server"]


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        **FAST_HASHING,
    )


def _shop(client: TestClient, key: str, count: int, prefix: str) -> list[str]:
    placed = (datetime.now(UTC) - timedelta(hours=6)).isoformat()
    numbers = []
    for i in range(count):
        body = order_body(order_number=f"{prefix}-{i}", placed_at=placed,
                          customer={"name": f"Customer {i}", "email": f"{prefix.lower()}{i}@example.com"})  # fmt: skip
        response = client.post("/api/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        numbers.append(response.json()["parcels"][0]["tracking_number"])
    return numbers


def _form(html: str, action: str) -> dict[str, list[str]]:
    """The hidden fields of the bulk form for ``action``, as the browser would post them."""
    forms = re.findall(r'<form method="post" action="/console/bulk".*?</form>', html, re.S)
    (form,) = [f for f in forms if f'name="action" value="{action}"' in f]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        fields.setdefault(name, []).append(value)
    return fields


def test_a_bulk_message_to_20_customers_previews_20_and_sends_20_emails_once_when_submitted_twice(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    smtp_server: SmtpServer,
) -> None:  # fmt: skip
    ours, theirs, scanner = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B"), \
        make_key("scanner")  # fmt: skip
    numbers = _shop(client, ours, 20, "A")
    _shop(client, theirs, 2, "B")  # another shop's parcels: never selected
    for number in numbers:
        assert (
            client.post("/api/v1/scans", json=scan_body(number, "processing"), headers=auth(scanner)).status_code == 201
        )
    wait_for(lambda: settled(settings.resolved_database_url), what="the confirmations sent")
    before = len(smtp_server.messages)

    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A", "Shop B")
    listing = client.get("/console/parcels?status=processing&merchant=Shop+A").text
    bulk_link = re.search(r'href="(/console/bulk\?[^"]+)"', listing)
    assert bulk_link is not None
    preview = client.get(bulk_link.group(1).replace("&amp;", "&"))
    assert preview.status_code == 200 and "Act on 20 parcels" in preview.text
    assert sorted(re.findall(r'<a class="mono" href="/console/parcels/(OT\w+)"', preview.text)) == sorted(numbers)

    fields = {**_form(preview.text, "message"), "text": ["Our warehouse is closed for stocktaking until Monday."]}
    first = client.post("/console/bulk", data=fields, follow_redirects=False)
    assert first.status_code == 303, first.text
    again = client.post("/console/bulk", data=fields, follow_redirects=False)  # the same form, submitted again
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    done = client.get(first.headers["location"]).text
    assert "Done: 20 messages sent" in done

    wait_for(lambda: len(smtp_server.messages) - before >= 20, what="20 emails")
    wait_for(lambda: settled(settings.resolved_database_url), what="the outbox settled")
    sent = smtp_server.messages[before:]
    assert len(sent) == 20 and sorted(str(m["To"]) for m in sent) == sorted(f"a{i}@example.com" for i in range(20))
    log = client.get("/api/v1/audit-log?limit=200").json()["entries"]
    assert sorted(e["tracking_number"] for e in log if e["action"] == "parcel.message_sent") == sorted(numbers)


def test_a_changed_selection_is_previewed_again_and_a_bulk_cancel_is_all_or_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ours, scanner = make_key("merchant", merchant="Shop A"), make_key("scanner")
    numbers = _shop(client, ours, 3, "C")
    staff_user(client, run_services, settings, "ops@example.com", "operations", "Shop A")
    preview = client.get("/console/bulk?status=order_placed").text
    fields = {**_form(preview, "cancel"), "text": ["Supplier recalled the batch"]}

    newcomer = _shop(client, ours, 1, "D")[0]  # a fourth parcel matches the filter now
    changed = client.post("/console/bulk", data=fields)
    assert changed.status_code == 409, re.findall(r"role=\"alert\"[^>]*>([^<]*)", changed.text)
    assert "Act on 4 parcels" in changed.text and newcomer in changed.text
    assert {client.get(f"/api/v1/tracking/{n}").json()["status"] for n in numbers} == {"order_placed"}

    assert (
        client.post("/api/v1/scans", json=scan_body(newcomer, "dispatched"), headers=auth(scanner)).status_code == 201
    )
    preview = client.get("/console/bulk?merchant=Shop+A").text  # all four, one of them dispatched
    refused = client.post("/console/bulk", data={**_form(preview, "cancel"), "text": ["Recall"]})
    assert refused.status_code == 409 and newcomer in refused.text and "dispatched" in refused.text
    assert {client.get(f"/api/v1/tracking/{n}").json()["status"] for n in numbers} == {"order_placed"}

    preview = client.get("/console/bulk?status=order_placed").text
    done = client.post("/console/bulk", data={**_form(preview, "cancel"), "text": ["Recall"]}, follow_redirects=False)
    assert done.status_code == 303 and "Done: 3 parcels cancelled" in client.get(done.headers["location"]).text
    assert {client.get(f"/api/v1/tracking/{n}").json()["status"] for n in numbers} == {"cancelled"}


def test_roles_without_the_permission_get_no_form_and_are_refused(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    _shop(client, make_key("merchant", merchant="Shop A"), 2, "E")
    staff_user(client, run_services, settings, "help@example.com", "support", "Shop A")
    preview = client.get("/console/bulk?merchant=Shop+A").text
    assert 'value="message"' in preview and 'value="cancel"' not in preview
    fields = {**_form(preview, "message"), "action": ["cancel"], "text": ["No"]}
    assert client.post("/console/bulk", data=fields).status_code == 403
    client.cookies.clear()
    staff_user(client, run_services, settings, "look@example.com", "viewer", "Shop A")
    assert "Act on all of these" not in client.get("/console/parcels").text
    token = csrf_of(client.get("/console").text)
    posted = client.post("/console/bulk", data={"csrf_token": token, "action": "message", "text": "Hi", "key": "k",
                                               "digest": "x"})  # fmt: skip
    assert posted.status_code == 403
