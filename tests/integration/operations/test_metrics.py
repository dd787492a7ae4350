"""/metrics in one process: what a scan, a lookup, an order and its webhook leave in the figures, the names
exposed, who may scrape, and the request log (docs/deploy.md, "Metrics and logs").

The collectors are process-wide (prometheus-client's registry), so every figure is compared with a scrape taken
before the requests: other tests in this process move them too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.metrics import Scrape
from tests.support.notify import Receiver, receiver

__all__ = ["receiver"]

LOOPBACK = ("127.0.0.1", 50000)
# Every family a server exposes from its start (labelled ones with their HELP and TYPE even before a sample).
FAMILIES = {
    "ordertrail_http_requests",
    "ordertrail_http_request_duration_seconds",
    "ordertrail_sse_streams_open",
    "ordertrail_scans_recorded",
    "ordertrail_ingest_submission_scans",
    "ordertrail_group_commit_scans",
    "ordertrail_group_commit_duration_seconds",
    "ordertrail_group_commit_failures",
    "ordertrail_estimates_computed",
    "ordertrail_outbox_pending",
    "ordertrail_outbox_messages",
    "ordertrail_outbox_delivery_latency_seconds",
    "ordertrail_webhook_attempts",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The receiver listens on 127.0.0.1, on a port of its own.
    return Settings(
        data_dir=tmp_path / "data", public_base_url="http://testserver", webhook_allow_private=True, webhook_ports="*"
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app in-process, reached from the loopback address (where /metrics answers without a token)."""
    with TestClient(create_app(settings), raise_server_exceptions=False, client=LOOPBACK) as test_client:
        yield test_client


def scrape(client: TestClient, **headers: str) -> Scrape:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


def test_every_family_is_exposed_and_a_scan_lookup_and_webhook_move_their_series(
    client: TestClient, make_order: Callable[..., dict[str, Any]], make_key: Callable[..., str], receiver: Receiver
) -> None:
    merchant = make_key("merchant", merchant="Test Shop")
    scanner = make_key("scanner")
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(merchant))
    assert endpoint.status_code == 201, endpoint.text
    before = scrape(client)
    assert before.families() >= FAMILIES

    number = make_order()["parcels"][0]["tracking_number"]
    single = scan_body(number, "dispatched")
    assert client.post("/api/v1/scans", json=single, headers=auth(scanner)).status_code == 201
    batch = {"scans": [single, scan_body(number, "in_transit")]}  # a retry of the first, and a new scan
    assert client.post("/api/v1/scans/batch", json=batch, headers=auth(scanner)).status_code == 200
    assert client.get(f"/api/v1/tracking/{number}").status_code == 200
    assert client.get(f"/no/such/page/{number}").status_code == 404

    def delivered() -> Scrape | None:
        after = scrape(client)
        # The same series on both sides: earlier tests in this process may have delivered emails, and the
        # registry (one per process) still counts them.
        series = {"channel": "webhook", "result": "delivered"}
        done = after.value("ordertrail_outbox_messages_total", **series)
        return after if done >= before.value("ordertrail_outbox_messages_total", **series) + 3 else None

    after = wait_for(delivered, timeout=20, what="the order's and both scans' webhooks delivered")

    def moved(sample: str, **labels: str) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    requests = "ordertrail_http_requests_total"
    assert moved(requests, method="POST", route="/api/v1/orders", status="2xx") == 1
    assert moved(requests, method="POST", route="/api/v1/scans", status="2xx") == 1
    assert moved(requests, method="POST", route="/api/v1/scans/batch", status="2xx") == 1
    assert moved(requests, method="GET", route="/api/v1/tracking/{tracking_number}", status="2xx") == 1
    assert moved(requests, method="GET", route="unmatched", status="4xx") == 1
    latency = "ordertrail_http_request_duration_seconds_count"
    assert moved(latency, method="POST", route="/api/v1/scans", status="2xx") == 1
    # Route templates, never paths: the tracking number is in no label.
    assert number not in after.text

    assert moved("ordertrail_scans_recorded_total", outcome="created") == 2
    assert moved("ordertrail_scans_recorded_total", outcome="duplicate") == 1
    assert moved("ordertrail_ingest_submission_scans_count") == 2  # the single scan and the batch
    assert moved("ordertrail_ingest_submission_scans_sum") == 3
    assert moved("ordertrail_group_commit_scans_sum") == 3
    assert moved("ordertrail_group_commit_duration_seconds_count") == moved("ordertrail_group_commit_scans_count")
    assert moved("ordertrail_group_commit_duration_seconds_count") >= 1
    assert moved("ordertrail_estimates_computed_total") >= 1  # the in-transit scan is estimated

    assert moved("ordertrail_webhook_attempts_total", outcome="2xx") >= 3
    assert moved("ordertrail_outbox_delivery_latency_seconds_count", channel="webhook") >= 3
    assert after.series("ordertrail_outbox_pending") == [{}]


@pytest.mark.store_independent
def test_loopback_clients_scrape_freely_others_need_the_token_once_one_is_set(tmp_path: Path) -> None:
    # One data directory for the three servers: the store is made once.
    with TestClient(create_app(Settings(data_dir=tmp_path / "data")), raise_server_exceptions=False) as elsewhere:
        refused = elsewhere.get("/metrics")  # TestClient's client address is "testclient"
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "ORDERTRAIL_METRICS_TOKEN" in refused.json()["detail"]

    settings = Settings(data_dir=tmp_path / "data", metrics_token="s3cret-scrape")  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 401  # loopback too: the token is the rule then
        wrong = local.get("/metrics", headers=auth("not-it"))
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
    with TestClient(create_app(settings), raise_server_exceptions=False) as elsewhere:
        assert "ordertrail_scans_recorded" in scrape(elsewhere, **auth("s3cret-scrape")).families()


@pytest.mark.store_independent
def test_metrics_off_answers_404_and_records_nothing(tmp_path: Path, make_key: Callable[..., str]) -> None:
    settings = Settings(data_dir=tmp_path / "data", metrics=False)
    with TestClient(create_app(settings), raise_server_exceptions=False, client=LOOPBACK) as client:
        assert client.get("/metrics").status_code == 404
        merchant, scanner = make_key("merchant", merchant="Quiet Shop"), make_key("scanner")
        placed = client.post("/api/v1/orders", json=order_body(), headers=auth(merchant))
        assert placed.status_code == 201, placed.text
        number = placed.json()["parcels"][0]["tracking_number"]
        before = Scrape(client_metrics())
        scanned = client.post("/api/v1/scans", json=scan_body(number, "dispatched"), headers=auth(scanner))
        assert scanned.status_code == 201, scanned.text
        after = Scrape(client_metrics())
    for sample in ("ordertrail_scans_recorded_total", "ordertrail_http_requests_total"):
        assert after.value(sample) == before.value(sample)


def client_metrics() -> str:
    """This process's figures, read directly (the server with metrics off serves none)."""
    from ordertrail.adapters.metrics import exposition

    return exposition().decode()


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def request_lines() -> Iterator[list[str]]:
    handler = Lines()
    logger = logging.getLogger("ordertrail.requests")
    kept, level = logger.handlers[:], logger.level
    logger.handlers = [handler]
    yield handler.lines
    logger.handlers, logger.level = kept, level


@pytest.mark.store_independent
def test_request_log_is_one_line_per_request_as_json_or_text_and_off_by_default(
    tmp_path: Path, request_lines: list[str]
) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(Settings(data_dir=data, request_log="json")), raise_server_exceptions=False) as client:
        given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
        made = client.get("/api/v1/tracking/OT-NOSUCH1")
        bad = client.get("/healthz", headers={"X-Request-ID": "no spaces or <tags> please"})
    assert given.headers["x-request-id"] == "lb-7f3a.1"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert bad.headers["x-request-id"] != "no spaces or <tags> please"
    lines = [orjson.loads(line) for line in request_lines]
    assert [(line["method"], line["route"], line["status"], line["request_id"]) for line in lines] == [
        ("GET", "/healthz", 200, "lb-7f3a.1"),
        ("GET", "/api/v1/tracking/{tracking_number}", 404, made.headers["x-request-id"]),
        ("GET", "/healthz", 200, bad.headers["x-request-id"]),
    ]
    assert all(set(line) == {"method", "route", "status", "duration_ms", "request_id"} for line in lines)
    assert all(isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0 for line in lines)

    request_lines.clear()
    with TestClient(create_app(Settings(data_dir=data, request_log="text"))) as client:
        client.get("/healthz", headers={"X-Request-ID": "abc"})
    assert len(request_lines) == 1
    assert re.fullmatch(r"GET /healthz 200 [0-9.]+ms request_id=abc", request_lines[0])
    with TestClient(create_app(Settings(data_dir=data))) as client:
        quiet = client.get("/healthz")
    assert len(request_lines) == 1
    assert "x-request-id" not in quiet.headers
