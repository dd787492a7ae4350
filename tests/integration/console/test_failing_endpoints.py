"""The failing webhook endpoints queue: the overview's count opens exactly the failing endpoints of the person's
merchants (real receivers: one refusing every delivery, one accepting), and an endpoint leaves the queue once a
delivery to it succeeds again (after a replay). Shop A's user never sees shop B's endpoints."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from ordertrail.settings import Settings
from tests.conftest import auth, order_body, wait_for
from tests.support.notify import Received, Receiver, receiver, second_receiver, settled
from tests.support.staff import FAST_HASHING, staff_user

__all__ = ["receiver", "second_receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,  # the receivers listen on 127.0.0.1
        webhook_ports="*",
        webhook_retry_delays="50ms,50ms",
        **FAST_HASHING,
    )


def refuse(_: Request, __: bytes, ___: list[Received]) -> Response:
    return Response("down for maintenance", status_code=503)


def _tile(html: str) -> int:
    found = re.search(r'href="/console/webhooks\?failing=true"><span class="tile-count">(\d+)', html)
    assert found is not None, html
    return int(found.group(1))


def _urls(html: str) -> list[str]:
    return re.findall(r'<span class="mono endpoint-url">([^<]+)</span>', html)


def test_the_overview_counts_failing_endpoints_and_opens_exactly_them(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    receiver: Receiver,
    second_receiver: Receiver,
) -> None:
    receiver.behaviour = refuse
    shop_a, shop_b = make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    broken, working, theirs = f"{receiver.url}/a", second_receiver.url, f"{receiver.url}/b"
    ids = {}
    for key, url in ((shop_a, broken), (shop_a, working), (shop_b, theirs)):
        made = client.post("/api/v1/webhook-endpoints", json={"url": url}, headers=auth(key))
        assert made.status_code == 201, made.text
        ids[url] = made.json()["id"]
    for key, number in ((shop_a, "A-1"), (shop_b, "B-1")):
        assert client.post("/api/v1/orders", json=order_body(order_number=number), headers=auth(key)).status_code == 201
    # Every retry used up: the refused messages are dead, the accepted ones delivered.
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="deliveries given up or delivered")

    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    assert _tile(client.get("/console").text) == 1
    failing = client.get("/console/webhooks", params={"failing": "true"})
    assert failing.status_code == 200 and _urls(failing.text) == [broken]
    assert "HTTP 503" in failing.text and "Failing" in failing.text
    every = client.get("/console/webhooks").text
    assert _urls(every) == [broken, working]  # failing first; never shop B's
    assert theirs not in every

    # The receiver is back; the dead messages replayed are delivered: the endpoint leaves the queue.
    receiver.behaviour = lambda *_: Response("ok", status_code=200)
    replayed = client.post(f"/api/v1/webhook-endpoints/{ids[broken]}/replay", headers=auth(shop_a), json={})
    assert replayed.status_code == 202 and replayed.json()["replayed"] >= 1, replayed.text
    wait_for(lambda: settled(settings.resolved_database_url), timeout=30, what="the replay delivered")
    assert _tile(client.get("/console").text) == 0
    assert "No endpoint is failing." in client.get("/console/webhooks", params={"failing": "true"}).text
