"""Live streams against a real server process: resume with Last-Event-ID, no personal data, stream cap."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = start_server(tmp_path / "server-data", extra_env={"ORDERTRAIL_MAX_STREAMS_PER_ADDRESS": "2"})
    yield running
    running.stop()


@pytest.fixture
def http(live_server: ServerProcess) -> Iterator[httpx.Client]:
    with live_server.http() as client:
        yield client


def keys(server: ServerProcess) -> tuple[str, str]:
    assert server.cli("merchants", "create", "Live Shop").returncode == 0
    merchant = server.cli("keys", "create", "--role", "merchant", "--name", "m", "--merchant", "Live Shop")
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "s")
    return merchant.stdout.strip().splitlines()[-1], scanner.stdout.strip().splitlines()[-1]


@contextmanager
def sse(server: ServerProcess, path: str, last_event_id: str | None = None) -> Iterator[Iterator[tuple[str, Any]]]:
    """An open stream as an iterator of (id, data) messages; leaving the block cuts the connection."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    with (
        httpx.Client(base_url=server.base_url, timeout=httpx.Timeout(20, read=20)) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")

        def messages() -> Iterator[tuple[str, Any]]:
            event_id, data = "", None
            for line in response.iter_lines():
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: "):
                    data = orjson.loads(line[6:])
                elif line == "" and data is not None:
                    yield event_id, data
                    data = None

        yield messages()


def test_reconnecting_with_last_event_id_replays_exactly_what_was_missed(
    live_server: ServerProcess, http: httpx.Client
) -> None:
    merchant, scanner = keys(live_server)
    number = http.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0][
        "tracking_number"
    ]
    start = datetime.now(UTC) - timedelta(hours=3)

    def post(body: dict[str, Any]) -> int:
        return http.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code

    path = f"/api/v1/tracking/{number}/events"
    with sse(live_server, path) as stream:
        assert post(scan_body(number, "dispatched", at=start)) == 201
        last_id, first = next(stream)
        assert last_id == "2" and first["status"] == "dispatched" and first["event"]["sequence"] == 2
    # The stream is cut. 100 scans are committed while nobody listens.
    batch = [scan_body(number, "in_transit", at=start + timedelta(minutes=i + 1)) for i in range(100)]
    answer = http.post("/api/v1/scans/batch", json={"scans": batch}, headers=auth(scanner))
    assert answer.json()["counts"]["created"] == 100
    with sse(live_server, path, last_event_id=last_id) as stream:
        missed = [next(stream) for _ in range(100)]
        assert [event_id for event_id, _ in missed] == [str(s) for s in range(3, 103)]
        assert [data["event"]["sequence"] for _, data in missed] == list(range(3, 103))
        assert all(data["status"] == "in_transit" for _, data in missed)
        # Live again right after the replay: the next scan is the next message, nothing repeated in between.
        assert post(scan_body(number, "out_for_delivery", at=start + timedelta(hours=2))) == 201
        assert next(stream)[0] == "103"


CANARIES = {
    "name": "Zyxwname Canaryperson",
    "email": "zyxw.canary.mail@example.org",
    "phone": "+44 7700 900123",
    "line1": "77 Zyxwcanary Street",
    "postal": "ZX9 9QQ",
    "note": "zyxw-note-leave-behind-bins",
    "facility": "Zyxw Secret Depot 4",
    "order": f"ZYXW-ORDER-{uuid.uuid4().hex[:8]}",
    # What a driver may type as the reason of a status that has no reason codes: stored, never public.
    "reason": "zyxw-reason left with Mrs Canaryneighbour at no 12",
}


def test_personal_data_never_appears_on_the_public_page_or_stream(
    live_server: ServerProcess, http: httpx.Client
) -> None:
    merchant, scanner = keys(live_server)
    body = order_body(
        order_number=CANARIES["order"],
        customer={"name": CANARIES["name"], "email": CANARIES["email"], "phone": CANARIES["phone"]},
        destination={"line1": CANARIES["line1"], "city": "Bristol", "postal_code": CANARIES["postal"], "country": "GB"},
    )
    number = http.post("/api/v1/orders", json=body, headers=auth(merchant)).json()["parcels"][0]["tracking_number"]
    at = datetime.now(UTC) - timedelta(hours=1)
    private_scan = {
        "note": CANARIES["note"],
        "location": {
            "facility": CANARIES["facility"],
            "city": "Bristol",
            "postal_code": CANARIES["postal"],
            "country": "GB",
        },
    }
    assert (
        http.post(
            "/api/v1/scans",
            json=scan_body(number, "dispatched", at=at, reason=CANARIES["reason"], **private_scan),
            headers=auth(scanner),
        ).status_code
        == 201
    )
    seen = [http.get(f"/t/{number}").text, http.get(f"/api/v1/tracking/{number}").text]
    with sse(live_server, f"/api/v1/tracking/{number}/events", last_event_id="0") as stream:
        seen += [orjson.dumps(next(stream)[1]).decode() for _ in range(2)]  # the whole history, replayed
        live_scan = scan_body(
            number, "exception", at=at + timedelta(minutes=5), reason="address_problem", **private_scan
        )
        assert http.post("/api/v1/scans", json=live_scan, headers=auth(scanner)).status_code == 201
        seen.append(orjson.dumps(next(stream)[1]).decode())  # and a live one
    assert "Bristol" in seen[0] and "Problem with delivery" in seen[-1]
    # Reason codes and their labels are what the public documents carry.
    assert '"reason":"address_problem"' in seen[-1] and "zyxw" not in seen[-1].lower()
    for text in seen:
        for what, canary in CANARIES.items():
            assert canary.lower() not in text.lower(), f"{what} leaked"
    # The verified view shows the order, but still not the street, contact details or notes.
    opened = http.post(
        "/track/order",
        data={"order_number": CANARIES["order"], "verifier": CANARIES["postal"]},
        follow_redirects=True,
    )
    assert opened.status_code == 200 and CANARIES["order"] in opened.text
    for what in ("name", "email", "phone", "line1", "note", "facility", "reason"):
        assert CANARIES[what].lower() not in opened.text.lower(), f"{what} leaked on the order view"


def test_concurrent_streams_per_address_are_capped(live_server: ServerProcess, http: httpx.Client) -> None:
    merchant, _ = keys(live_server)
    number = http.post("/api/v1/orders", json=order_body(), headers=auth(merchant)).json()["parcels"][0][
        "tracking_number"
    ]
    path = f"/api/v1/tracking/{number}/events"
    with sse(live_server, path), sse(live_server, path):
        refused = http.get(path)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json" and "retry-after" in refused.headers

    def admitted() -> bool:
        with httpx.Client(base_url=live_server.base_url, timeout=5) as client, client.stream("GET", path) as answer:
            return answer.status_code == 200

    # Slots free up as soon as the server notices the disconnects.
    wait_for(admitted, timeout=10, what="a stream slot to free up")
