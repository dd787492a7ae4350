"""Merchant webhooks to a real HTTP receiver, verified with the official ``standardwebhooks`` library."""

from __future__ import annotations

import binascii
import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.requests import Request
from starlette.responses import Response

from ordertrail.settings import Settings
from tests.conftest import auth, scan_body, wait_for
from tests.support.audits import TOOLS
from tests.support.notify import Received, Receiver, outbox_rows, receiver, second_receiver, settled

__all__ = ["receiver", "second_receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
        webhook_ports="*",  # and on its own port
        webhook_retry_delays="50ms,50ms,50ms,50ms",
    )


@pytest.fixture
def merchant_key(make_key: Callable[..., str]) -> str:
    return make_key("merchant", merchant="Test Shop")


def register(client: TestClient, key: str, url: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/webhook-endpoints", json={"url": url, **extra}, headers=auth(key))
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


def verify(secret: str, received: Received) -> Any:
    """The payload, if the signature checks out; raises WebhookVerificationError (or ValueError) if not."""
    return Webhook(secret).verify(received.body, received.headers)


# The JavaScript library (npm standardwebhooks, tests/tools), as a merchant's Node receiver runs it: the payload,
# or a non-zero exit naming why it refused.
_NODE_VERIFY = """
const { Webhook } = require("standardwebhooks");
const [secret, body, headers] = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(new Webhook(secret).verify(body, headers)));
"""


def node_verify(secret: str, body: bytes, headers: dict[str, str]) -> subprocess.CompletedProcess[str]:
    given = json.dumps([secret, body.decode(), headers])
    return subprocess.run(
        ["node", "-e", _NODE_VERIFY],
        input=given,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(TOOLS)},
        check=False,
    )


def fails(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError, binascii.Error):
        return True
    return False


def placed_hours_ago(hours: int) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def test_every_delivery_verifies_and_carries_status_and_versions(
    client: TestClient,
    settings: Settings,
    merchant_key: str,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    receiver: Receiver,
) -> None:
    endpoint = register(client, merchant_key, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(merchant_key)).json()
    assert "secret" not in shown  # shown once, at creation

    number = make_order(placed_at=placed_hours_ago(10))["parcels"][0]["tracking_number"]
    scanner = make_key("scanner")
    start = datetime.now(UTC) - timedelta(hours=9)
    for step, status in enumerate(["dispatched", "in_transit", "in_transit", "out_for_delivery", "delivered"]):
        body = scan_body(number, status, at=start + timedelta(hours=step))
        assert client.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201

    rows = wait_for(lambda: settled(settings.resolved_database_url), what="outbox settled")
    got = receiver.snapshot()
    payloads = [verify(endpoint["secret"], r) for r in got]
    assert [p["type"] for p in payloads] == [
        "parcel.order_placed",
        "parcel.dispatched",
        "parcel.in_transit",  # not twice: the second hub did not change the status
        "parcel.out_for_delivery",
        "parcel.delivered",
    ]
    data = [p["data"] for p in payloads]
    assert [d["previous_status"] for d in data[1:]] == ["order_placed", "dispatched", "in_transit", "out_for_delivery"]
    assert [d["sequence"] for d in data] == [1, 2, 3, 5, 6]
    versions = [d["status_version"] for d in data]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert all(d["tracking_number"] == number for d in data)
    assert len({r.webhook_id for r in got}) == 5
    # No SMTP server is configured: the customer emails are kept as skipped, not retried forever.
    assert {r["state"] for r in rows if r["channel"] == "email"} == {"skipped"}

    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=auth(merchant_key)).json()
    assert len(log["deliveries"]) == 5
    assert all(d["succeeded"] and d["status_code"] == 200 and d["response_body"] == "ok" for d in log["deliveries"])


def test_tampered_signatures_fail(
    client: TestClient, merchant_key: str, make_order: Callable[..., dict[str, Any]], receiver: Receiver
) -> None:
    endpoint = register(client, merchant_key, receiver.url)
    make_order()
    (got,) = wait_for(receiver.snapshot, what="webhook")
    secret = endpoint["secret"]
    assert verify(secret, got)["type"] == "parcel.order_placed"
    tampered_body = got.body.replace(b'"order_placed"', b'"delivered"', 1)
    assert tampered_body != got.body and fails(secret, tampered_body, got.headers)
    signature = got.headers["webhook-signature"]
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    assert fails(secret, got.body, {**got.headers, "webhook-signature": flipped})
    assert fails(secret, got.body, {**got.headers, "webhook-id": "msg_other"})
    assert fails(secret, got.body, {**got.headers, "webhook-signature": "v1,not base64!"})
    assert fails(secret, got.body, {**got.headers, "webhook-signature": "garbage"})
    other = Webhook.__new__(Webhook)
    del other
    assert fails("whsec_" + "A" * 43 + "=", got.body, got.headers)  # someone else's secret


def test_failing_receiver_gets_the_same_webhook_id_four_times_then_succeeds(
    client: TestClient, merchant_key: str, make_order: Callable[..., dict[str, Any]], receiver: Receiver
) -> None:
    def flaky(_: Request, __: bytes, earlier: list[Received]) -> Response:
        return Response("try later", status_code=500) if len(earlier) < 3 else Response("ok")

    receiver.behaviour = flaky
    endpoint = register(client, merchant_key, receiver.url)
    make_order()
    got = wait_for(lambda: any(r.status == 200 for r in receiver.snapshot()) and receiver.snapshot(), what="success")
    assert [r.status for r in got] == [500, 500, 500, 200]
    assert len({r.webhook_id for r in got}) == 1
    payloads = [verify(endpoint["secret"], r) for r in got]  # re-signed per attempt, all valid
    assert all(p == payloads[0] for p in payloads)

    path = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    # The receiver answers before the worker records the attempt: wait for the log to hold all four.
    log = wait_for(lambda: len((d := client.get(path, headers=auth(merchant_key)).json())["deliveries"]) == 4 and d)
    attempts = log["deliveries"][::-1]
    assert [a["status_code"] for a in attempts] == [500, 500, 500, 200]
    assert [a["succeeded"] for a in attempts] == [False, False, False, True]
    assert attempts[0]["response_body"] == "try later" and attempts[0]["error"] == "HTTP 500"
    assert all(a["duration_ms"] >= 0 and a["message_state"] == "delivered" for a in attempts)


def test_dead_letter_and_replay(
    client: TestClient,
    settings: Settings,
    merchant_key: str,
    make_order: Callable[..., dict[str, Any]],
    receiver: Receiver,
) -> None:
    receiver.behaviour = lambda *_: Response("down", status_code=500)
    endpoint = register(client, merchant_key, receiver.url)
    make_order()
    url = settings.resolved_database_url
    rows = wait_for(lambda: (r := settled(url)) and [x for x in r if x["channel"] == "webhook"], what="dead letter")
    assert [r["state"] for r in rows] == ["dead"]
    assert rows[0]["attempts"] == 5  # the first attempt and four retries
    assert len(receiver.snapshot()) == 5

    receiver.behaviour = lambda *_: Response("ok")
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}/replay"
    assert client.post(path, headers=auth(merchant_key)).json() == {"replayed": 1}
    wait_for(lambda: receiver.snapshot()[-1].status == 200, what="replayed delivery")
    assert len({r.webhook_id for r in receiver.snapshot()}) == 1  # the same message, the same id
    assert client.post(path, headers=auth(merchant_key)).json() == {"replayed": 0}


def test_gone_disables_the_endpoint(
    client: TestClient, merchant_key: str, make_order: Callable[..., dict[str, Any]], receiver: Receiver
) -> None:
    receiver.behaviour = lambda *_: Response("gone", status_code=410)
    endpoint = register(client, merchant_key, receiver.url)
    make_order()
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    shown = wait_for(lambda: (e := client.get(path, headers=auth(merchant_key)).json())["disabled_at"] and e)
    assert "410" in shown["disabled_reason"]
    make_order()  # a disabled endpoint gets nothing new
    assert len(receiver.snapshot()) == 1


def test_retry_after_is_honoured(
    client: TestClient,
    settings: Settings,
    merchant_key: str,
    make_order: Callable[..., dict[str, Any]],
    receiver: Receiver,
) -> None:
    def busy(_: Request, __: bytes, earlier: list[Received]) -> Response:
        return Response("slow down", status_code=429, headers={"Retry-After": "2"}) if not earlier else Response("ok")

    receiver.behaviour = busy
    register(client, merchant_key, receiver.url)
    make_order()
    first = wait_for(receiver.snapshot, what="first attempt")[0]
    rows = wait_for(lambda: [r for r in outbox_rows(settings.resolved_database_url) if r["attempts"] == 1])
    # The schedule says 50 ms; the receiver asked for 2 s, and that wins.
    assert rows[0]["next_attempt_at"] - rows[0]["created_at"] >= timedelta(seconds=2)
    wait_for(lambda: len(receiver.snapshot()) == 2, what="second attempt")
    assert receiver.snapshot()[1].webhook_id == first.webhook_id


def test_event_type_filter_and_rotation(
    client: TestClient,
    merchant_key: str,
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
    receiver: Receiver,
) -> None:
    endpoint = register(client, merchant_key, receiver.url, event_types=["parcel.dispatched"])
    number = make_order(placed_at=placed_hours_ago(3))["parcels"][0]["tracking_number"]
    rotated = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=auth(merchant_key))
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    scanner = make_key("scanner")
    assert client.post("/api/v1/scans", json=scan_body(number, "dispatched"), headers=auth(scanner)).status_code == 201
    (got,) = wait_for(receiver.snapshot, what="dispatched webhook")
    assert len(got.headers["webhook-signature"].split(" ")) == 2  # both secrets sign during the rotation
    assert verify(new_secret, got)["type"] == "parcel.dispatched"
    assert verify(endpoint["secret"], got)["type"] == "parcel.dispatched"
    bad = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url, "event_types": ["parcel.teleported"]},
                      headers=auth(merchant_key))  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "event_types"


def test_endpoints_belong_to_their_merchant(
    client: TestClient, merchant_key: str, make_key: Callable[..., str], receiver: Receiver
) -> None:
    endpoint = register(client, merchant_key, receiver.url)
    other = make_key("merchant", merchant="Other Shop")
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(other)).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=auth(other)).json() == {"webhook_endpoints": []}
    assert client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(other)).status_code == 404
    admin = make_key("admin")
    assert client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(admin)).status_code == 422
    created = register(client, admin, receiver.url, merchant="Other Shop")
    assert [
        e["id"] for e in client.get("/api/v1/webhook-endpoints", headers=auth(other)).json()["webhook_endpoints"]
    ] == [created["id"]]
    scanner = make_key("scanner")
    assert client.get("/api/v1/webhook-endpoints", headers=auth(scanner)).status_code == 403
    assert client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(merchant_key)).status_code == 204
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=auth(merchant_key)).status_code == 404


def test_a_test_event_reaches_the_endpoint_signed_whatever_it_subscribes_to(
    client: TestClient, merchant_key: str, make_key: Callable[..., str], receiver: Receiver
) -> None:
    endpoint = register(client, merchant_key, receiver.url, event_types=["parcel.delivered"])
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    sent = client.post(f"{path}/test", headers=auth(merchant_key))
    assert sent.status_code == 202, sent.text
    (got,) = wait_for(receiver.snapshot, what="test webhook")
    payload = verify(endpoint["secret"], got)
    # docs/api.md's JavaScript verifies it too, and refuses it altered.
    in_node = node_verify(endpoint["secret"], got.body, got.headers)
    assert in_node.returncode == 0 and json.loads(in_node.stdout) == payload, in_node.stderr
    assert node_verify(endpoint["secret"], got.body.replace(b"webhook.test", b"webhook.tset"), got.headers).returncode
    assert payload["type"] == sent.json()["event_type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == endpoint["id"]
    assert got.webhook_id == sent.json()["message_id"]
    log = wait_for(lambda: client.get(f"{path}/deliveries", headers=auth(merchant_key)).json()["deliveries"])
    assert [(a["event_type"], a["succeeded"], a["next_attempt_at"]) for a in log] == [("webhook.test", True, None)]

    other_shop = make_key("merchant", merchant="Other Shop")
    assert client.post(f"{path}/test", headers=auth(other_shop)).status_code == 404
    assert len(receiver.snapshot()) == 1


def test_the_delivery_log_says_when_a_failed_message_is_tried_next(
    client: TestClient, settings: Settings, merchant_key: str, receiver: Receiver
) -> None:
    receiver.behaviour = lambda *_: Response("down", status_code=503, headers={"Retry-After": "3600"})
    endpoint = register(client, merchant_key, receiver.url)
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    assert client.post(f"{path}/test", headers=auth(merchant_key)).status_code == 202
    (attempt,) = wait_for(lambda: client.get(f"{path}/deliveries", headers=auth(merchant_key)).json()["deliveries"])
    assert attempt["status_code"] == 503 and attempt["message_state"] == "pending"
    (row,) = outbox_rows(settings.resolved_database_url)
    assert datetime.fromisoformat(attempt["next_attempt_at"]) == row["next_attempt_at"]
    # The receiver asked for an hour: the log shows that, not the 50 ms schedule.
    assert datetime.fromisoformat(attempt["next_attempt_at"]) - datetime.now(UTC) > timedelta(minutes=50)


def test_a_disabled_endpoint_gets_no_test_event(client: TestClient, merchant_key: str, receiver: Receiver) -> None:
    receiver.behaviour = lambda *_: Response("gone", status_code=410)
    endpoint = register(client, merchant_key, receiver.url)
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    assert client.post(f"{path}/test", headers=auth(merchant_key)).status_code == 202
    wait_for(lambda: client.get(path, headers=auth(merchant_key)).json()["disabled_at"], what="disabled by the 410")
    refused = client.post(f"{path}/test", headers=auth(merchant_key))
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert "disabled" in refused.json()["detail"] and "410" in refused.json()["detail"]
    assert len(receiver.snapshot()) == 1
