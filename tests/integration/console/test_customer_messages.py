"""Messages to customers in the staff member's words (POST /api/v1/parcels/{n}/notices), on a real store and a real
SMTP server: emailed once, shown on the tracking page and in its JSON signed with the shop's name (never who wrote
it), audited; viewers may not, and nobody writes to another merchant's customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, wait_for
from tests.support.notify import SmtpServer, smtp_server
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["smtp_server"]

WORDS = "The road to your village is closed by snow.\nWe will bring your parcel on Friday instead."


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="https://track.example.com",
        smtp_url=smtp_server.url,
        smtp_from="Parcels <parcels@example.com>",
        **FAST_HASHING,
    )


def _order(client: TestClient, key: str, number: str, email: str) -> str:
    placed = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    body = order_body(order_number=number, placed_at=placed, customer={"name": "Ada Lovelace", "email": email})
    response = client.post("/api/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    tracking_number: str = response.json()["parcels"][0]["tracking_number"]
    return tracking_number


def test_a_message_is_emailed_shown_on_the_tracking_page_and_audited(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    smtp_server: SmtpServer,
) -> None:  # fmt: skip
    admin = make_key("admin")
    merchant = make_key("merchant", merchant="Northwind")
    number = _order(client, merchant, "M-1", "ada@example.com")
    wait_for(lambda: smtp_server.to("ada@example.com"), what="the order confirmation")  # sent before ours
    staff_user(client, run_services, settings, "help@example.com", "support", "Northwind")
    token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}

    sent = client.post(f"/api/v1/parcels/{number}/notices", json={"message": WORDS}, headers=token)
    assert sent.status_code == 201, sent.text
    assert sent.json()["message"] == WORDS and sent.json()["sent_by"] == "help@example.com"

    mail = wait_for(lambda: [m for m in smtp_server.to("ada@example.com") if "A message from" in str(m["Subject"])])
    (email,) = mail
    assert str(email["Subject"]) == f"A message from Northwind about your parcel {number}"
    text = email.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert WORDS in text and "help@example.com" not in text

    document = client.get(f"/api/v1/tracking/{number}").json()
    assert [m["text"] for m in document["messages"]] == [WORDS]
    assert "help@example.com" not in str(document)
    page = client.get(f"/t/{number}").text
    assert "Message from Northwind" in page and "The road to your village is closed by snow." in page

    log = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    (entry,) = [e for e in log if e["action"] == "parcel.message_sent"]
    assert entry["tracking_number"] == number and entry["actor"]["name"] == "help@example.com"
    assert entry["detail"] == {"message": WORDS}


def test_viewers_and_other_merchants_cannot_write_and_bad_messages_change_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings,
    smtp_server: SmtpServer,
) -> None:  # fmt: skip
    ours, theirs = make_key("merchant", merchant="Northwind"), make_key("merchant", merchant="Southwind")
    number = _order(client, ours, "M-2", "grace@example.com")
    path = f"/api/v1/parcels/{number}/notices"
    assert client.post(path, json={"message": "hello"}, headers=auth(theirs)).status_code == 404
    assert client.post(path, json={"message": "hello"}, headers=auth(make_key("scanner"))).status_code == 403
    for bad in (" \n ", "x" * 1001, "bell\x07"):
        refused = client.post(path, json={"message": bad}, headers=auth(ours))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "message", refused.text

    staff_user(client, run_services, settings, "look@example.com", "viewer", "Northwind")
    token = {"X-CSRF-Token": csrf_of(client.get("/console").text)}
    assert client.post(path, json={"message": "hello"}, headers=token).status_code == 403
    assert client.get(f"/api/v1/tracking/{number}").json()["messages"] == []
    assert client.post(path, json={"message": "On its way"}, headers=auth(ours)).status_code == 201
    assert [m["text"] for m in client.get(f"/api/v1/tracking/{number}").json()["messages"]] == ["On its way"]
