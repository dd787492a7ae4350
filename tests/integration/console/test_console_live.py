"""The console's live stream (/console/live) from a real `ordertrail serve`: a signed-in person hears of every
change to their merchants' parcels, and of no other merchant's; without a session there is no stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server
from tests.support.staff import choose_password, sign_in

FAST_HASHING = {"ORDERTRAIL_PASSWORD_TIME_COST": "1", "ORDERTRAIL_PASSWORD_MEMORY_KIB": "256"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = start_server(tmp_path / "data", extra_env=FAST_HASHING)
    yield running
    running.stop()


def _last_line(server: ServerProcess, *args: str) -> str:
    done = server.cli(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _staff(server: ServerProcess, email: str, role: str, shop: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=30)
    url = _last_line(server, "users", "create", "--email", email, "--role", role, "--merchant", shop)
    assert choose_password(client, url).status_code == 303
    assert sign_in(client, email).status_code == 303
    return client


def _next_change(lines: Iterator[str]) -> dict[str, str]:
    """The data of the next ``parcel`` event (keep-alives and the retry hint are skipped)."""
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") and event == "parcel":
            found: dict[str, str] = json.loads(line[len("data: ") :])
            return found
    raise AssertionError("the stream ended")


def test_each_person_hears_of_their_merchants_changes_only(server: ServerProcess) -> None:
    numbers = {}
    with server.http() as http:
        scanner = _last_line(server, "keys", "create", "--role", "scanner", "--name", "hub")
        for shop in ("Shop A", "Shop B"):
            assert server.cli("merchants", "create", shop).returncode == 0
            key = _last_line(server, "keys", "create", "--role", "merchant", "--name", "erp", "--merchant", shop)
            placed = http.post("/api/v1/orders", json=order_body(order_number=f"{shop}-1"), headers=auth(key))
            numbers[shop] = placed.json()["parcels"][0]["tracking_number"]
        ops_a, owner_b = (
            _staff(server, "ops@a.example", "operations", "Shop A"),
            _staff(server, "owner@b.example", "merchant", "Shop B"),
        )
        with httpx.Client(base_url=server.base_url, timeout=5) as anonymous:
            assert anonymous.get("/console/live", follow_redirects=False).status_code == 303  # to sign-in
        with ops_a.stream("GET", "/console/live") as stream_a, owner_b.stream("GET", "/console/live") as stream_b:
            assert stream_a.headers["content-type"].startswith("text/event-stream")
            lines_a, lines_b = stream_a.iter_lines(), stream_b.iter_lines()
            body = scan_body(numbers["Shop A"], "processing")
            assert http.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
            assert _next_change(lines_a) == {"tracking_number": numbers["Shop A"], "status": "processing"}
            body = scan_body(numbers["Shop B"], "packed")
            assert http.post("/api/v1/scans", json=body, headers=auth(scanner)).status_code == 201
            # Shop B's first change is its own: Shop A's scan never reached it.
            assert _next_change(lines_b) == {"tracking_number": numbers["Shop B"], "status": "packed"}
        ops_a.close()
        owner_b.close()


def test_console_streams_are_capped_per_person_not_per_address(tmp_path: Path) -> None:
    # One stream each: a customer's tracking stream from the office's address, then two colleagues' consoles from
    # that same address. Counted per address, the first console would be refused; counted per person, only a
    # person's second tab is.
    server = start_server(tmp_path / "data", extra_env={**FAST_HASHING, "ORDERTRAIL_MAX_STREAMS_PER_ADDRESS": "1"})
    try:
        assert server.cli("merchants", "create", "Shop A").returncode == 0
        key = _last_line(server, "keys", "create", "--role", "merchant", "--name", "erp", "--merchant", "Shop A")
        ops, owner = (
            _staff(server, "ops@a.example", "operations", "Shop A"),
            _staff(server, "own@a.example", "merchant", "Shop A"),
        )
        with server.http() as http:
            placed = http.post("/api/v1/orders", json=order_body(order_number="A-1"), headers=auth(key))
            tracking = f"/api/v1/tracking/{placed.json()['parcels'][0]['tracking_number']}/events"
            with http.stream("GET", tracking) as customer:
                assert customer.status_code == 200
                assert http.get(tracking).status_code == 429  # the address's one slot is taken
                with ops.stream("GET", "/console/live") as first, owner.stream("GET", "/console/live") as colleague:
                    assert first.status_code == 200 and colleague.status_code == 200
                    assert ops.get("/console/live").status_code == 429
        ops.close()
        owner.close()
    finally:
        server.stop()
