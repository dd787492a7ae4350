"""The poison test (issue 12): 20 honest scanners and 2 poisoning clients against one real server for 10 s.

The poisoners send every kind of bad input the issue found, one every 20 ms each: NUL bytes and control
characters, dates far in the past and the future, unix integers, malformed and non-JSON bodies, oversized
bodies, conflicting event ids, unknown countries and substatuses, order numbers the service cannot serve, bad
cursors, and scans for a parcel broken in storage (which fail in the store whatever the input rules say). The
honest clients' scans share group commits with all of that and must all be answered 2xx. Runs on the store
under test (SQLite, or PostgreSQL with ORDERTRAIL_TEST_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ordertrail.storage.database import open_database
from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server

pytestmark = pytest.mark.slow

HONEST, POISONERS, SECONDS, POISON_EVERY_S = 20, 2, 10.0, 0.02


@pytest.fixture
def poison_server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = start_server(tmp_path / "server-data")
    yield running
    running.stop()


def key(server: ServerProcess, role: str, *extra: str) -> str:
    created = server.cli("keys", "create", "--role", role, "--name", f"{role}-{uuid.uuid4().hex[:6]}", *extra)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def break_parcel(database_url: str, tracking_number: str) -> None:
    """Leave the parcel's row as nothing the service would write: every read of it fails in the store."""

    async def work() -> None:
        db = open_database(database_url)
        try:
            await db.write(
                lambda c: c.execute(
                    text("UPDATE parcel SET status = 'no-such-status' WHERE tracking_number = :n"),
                    {"n": tracking_number},
                )
            )
        finally:
            await db.close()

    asyncio.run(work())


def poisons(own: str, broken: str, merchant: str, scanner: str, placed_at: datetime) -> list[dict[str, Any]]:
    """Every kind of bad request of issue 12, as keyword arguments for ``httpx.AsyncClient.request``."""
    as_scanner = auth(scanner)
    json_headers = {**as_scanner, "content-type": "application/json"}
    now = datetime.now(UTC)
    reused = scan_body(own, "in_transit")
    scans: list[dict[str, Any]] = [
        scan_body(own, "in_transit", note="x\u0000y"),
        scan_body(own, "in_transit", note="bell\u0007 and escape\u001b[2J"),
        {**scan_body(own, "in_transit"), "occurred_at": "0001-01-01T00:00:00+14:00"},
        {**scan_body(own, "in_transit"), "occurred_at": "9999-12-31T23:59:59-14:00"},
        {**scan_body(own, "in_transit"), "occurred_at": 1767225600},
        scan_body(own, "in_transit", at=datetime(1900, 1, 1, tzinfo=UTC)),
        scan_body(own, "exception", at=datetime(1970, 1, 1, tzinfo=UTC)),
        scan_body(own, "exception", at=placed_at),  # in the same second as the order
        scan_body(own, "delivered", at=now + timedelta(hours=2)),
        scan_body(own, "in_transit", location={"facility": "Hub\u0000", "city": "Leeds", "country": "XX"}),
        scan_body(own, "in_transit", substatus="in_transit.teleported"),
        scan_body(broken, "in_transit"),  # fails in the store, after every input rule
        scan_body(broken, "delivered", note="x\u0000y"),
        reused,
        {**reused, "note": "the same event_id, another scan"},
    ]
    requests: list[dict[str, Any]] = [
        {"method": "POST", "url": "/api/v1/scans", "json": s, "headers": as_scanner} for s in scans
    ]
    requests += [
        {"method": "POST", "url": "/api/v1/scans/batch", "json": {"scans": scans}, "headers": as_scanner},
        {"method": "POST", "url": "/api/v1/scans", "content": b'{"event_id": ', "headers": json_headers},
        {
            "method": "POST",
            "url": "/api/v1/scans",
            "content": b"{}",
            "headers": {**as_scanner, "content-type": "text/plain"},
        },
        {
            "method": "POST",
            "url": "/api/v1/scans",
            "content": b'{"event_id": "a", "event_id": "b"}',
            "headers": json_headers,
        },
        {"method": "POST", "url": "/api/v1/scans", "content": b" " * (9 * 1024 * 1024), "headers": json_headers},
        {"method": "GET", "url": "/api/v1/orders?cursor=o\u00b2", "headers": auth(merchant)},
        {"method": "GET", "url": f"/api/v1/tracking/{own}/events?after=\u00b2"},
        {
            "method": "GET",
            "url": "/api/v1/webhook-endpoints/1/deliveries?before=9223372036854775808",
            "headers": auth(merchant),
        },
    ]
    for number in ("NW-\u0416-3", "\u8ba2\u5355", "\U0001f4e6", "CR\r\nLF", "a/b", "x\u0000y"):
        bad_order = order_body(
            order_number=number, placed_at="0001-01-01T00:00:00Z", promised_delivery_date="1999-01-01"
        )
        requests.append({"method": "POST", "url": "/api/v1/orders", "json": bad_order, "headers": auth(merchant)})
    return requests


async def honest_client(client: httpx.AsyncClient, number: str, scanner: str, deadline: float) -> Counter[int]:
    answers: Counter[int] = Counter()
    while time.monotonic() < deadline:
        body = scan_body(number, "in_transit", at=datetime.now(UTC) - timedelta(seconds=1))
        body["substatus"] = "in_transit.arrived_at_hub"
        response = await client.post("/api/v1/scans", json=body, headers=auth(scanner))
        answers[response.status_code] += 1
    return answers


async def poisoning_client(client: httpx.AsyncClient, requests: list[dict[str, Any]], deadline: float) -> Counter[str]:
    """Send the next poison every 20 ms (issue 12's pace), not waiting for the answers to the last ones."""
    answers: Counter[str] = Counter()

    async def send(request: dict[str, Any]) -> None:
        try:
            response = await client.request(**request)
            answers[f"{request['method']} {response.status_code}"] += 1
        except httpx.HTTPError as error:  # the server may cut a poisoner off (oversized bodies): its business
            answers[type(error).__name__] += 1

    sent = []
    for request in itertools.cycle(requests):
        if time.monotonic() >= deadline:
            break
        sent.append(asyncio.create_task(send(request)))
        await asyncio.sleep(POISON_EVERY_S)  # the poisoner's pace, not a wait for the server
    await asyncio.gather(*sent)
    return answers


def test_poisoning_clients_cannot_fail_honest_scans(poison_server: ServerProcess) -> None:
    server = poison_server
    merchant_name = "Poison Shop"
    assert server.cli("merchants", "create", merchant_name).returncode == 0
    merchant = key(server, "merchant", "--merchant", merchant_name)
    with server.http() as http:
        placed = http.post("/api/v1/orders", json=order_body(parcels=[{}] * (HONEST + 2)), headers=auth(merchant))
        assert placed.status_code == 201, placed.text
    numbers = [p["tracking_number"] for p in placed.json()["parcels"]]
    honest_numbers, (own, broken) = numbers[:HONEST], numbers[HONEST:]
    break_parcel(server.database_url, broken)
    placed_at = datetime.fromisoformat(placed.json()["placed_at"])
    honest_keys = [key(server, "scanner") for _ in range(2)]
    poisoner = key(server, "scanner")
    bad = poisons(own, broken, merchant, poisoner, placed_at)

    async def attack() -> tuple[list[Counter[int]], list[Counter[str]]]:
        # Each side has connections of its own: the poisoners cannot take the honest clients' places in a pool.
        async with (
            httpx.AsyncClient(
                base_url=server.base_url, timeout=60, limits=httpx.Limits(max_connections=HONEST)
            ) as client,
            httpx.AsyncClient(
                base_url=server.base_url, timeout=60, limits=httpx.Limits(max_connections=20)
            ) as attacker,
        ):
            deadline = time.monotonic() + SECONDS
            honest = [
                honest_client(client, number, honest_keys[i % 2], deadline) for i, number in enumerate(honest_numbers)
            ]
            poisoning = [poisoning_client(attacker, bad[i::POISONERS] + bad, deadline) for i in range(POISONERS)]
            results = await asyncio.gather(*honest, *poisoning)
        return list(results[:HONEST]), list(results[HONEST:])  # type: ignore[arg-type]

    honest_answers, poison_answers = asyncio.run(attack())
    total = sum(honest_answers, Counter())
    assert set(total) <= {201}, (
        f"honest clients got {dict(total)}; the poisoners got {dict(sum(poison_answers, Counter()))}"
    )
    assert all(answers[201] > 0 for answers in honest_answers)  # every honest client was served, not starved
    print(f"honest: {dict(total)}; poisoners: {dict(sum(poison_answers, Counter()))}")  # the figures, with -s
    poisoned = sum(poison_answers, Counter())
    assert sum(poisoned.values()) > 2 * len(bad)  # every poison was sent, most of them many times
    # The broken parcel's scans reached the store and failed there: in the very groups the honest scans were in.
    assert poisoned["POST 500"] > 0, dict(poisoned)
