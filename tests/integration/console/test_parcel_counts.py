"""The overview's parcels by status, kept by the store's triggers and folded in the background
(storage/console/parcel_counts.py), equal the parcels counted one by one, on SQLite and PostgreSQL: per merchant
and in all, before and after folding, with folds running while scans are written, and after every kind of change
a parcel can go through (a new order, scans in and out of order, a duplicate, a voided scan, a cancellation).
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select

from ordertrail.services.console.parcel_counts import fold_changes
from ordertrail.services.context import Services
from ordertrail.storage.console import parcel_counts
from ordertrail.storage.tables import merchant, order, parcel
from tests.conftest import auth, order_body, scan_body

STATUSES = ["processing", "packed", "dispatched", "in_transit", "out_for_delivery", "delivered"]
START = datetime.now(UTC) - timedelta(hours=40)  # placed a day before: scans may not come first
PLACED = (START - timedelta(hours=1)).isoformat()
TWO, THREE = [{"weight_grams": 900}] * 2, [{"weight_grams": 900}] * 3


def counted(connection: Connection, merchant_id: int | None) -> dict[str, int]:
    """Parcels by status, counted one by one."""
    query = (
        select(parcel.c.status, func.count())
        .select_from(parcel.join(order, order.c.id == parcel.c.order_id))
        .group_by(parcel.c.status)
    )
    if merchant_id is not None:
        query = query.where(order.c.merchant_id == merchant_id)
    return {status: int(n) for status, n in connection.execute(query)}


def test_counts_equal_the_parcels_counted_one_by_one(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    shops = [make_key("merchant", merchant="Counts A"), make_key("merchant", merchant="Counts B")]
    scanner = make_key("scanner", name="counts")
    rng = random.Random(7)

    def place(key: str) -> str:
        response = client.post("/api/v1/orders", json=order_body(parcels=TWO, placed_at=PLACED), headers=auth(key))
        assert response.status_code == 201, response.text
        return str(response.json()["parcels"][rng.randrange(2)]["tracking_number"])

    def scan(number: str, status: str, hours: float) -> dict[str, Any]:
        body = scan_body(number, status, at=START + timedelta(hours=hours))
        response = client.post("/api/v1/scans", json=body, headers=auth(scanner))
        assert response.status_code in (200, 201), response.text
        return body

    numbers = [place(shops[i % 2]) for i in range(12)]
    history: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
    for number in numbers:  # each walks part of the main path, some out of order
        steps = STATUSES[: rng.randrange(1, len(STATUSES) + 1)]
        order_of = list(enumerate(steps))
        if rng.random() < 0.4:
            rng.shuffle(order_of)
        for hours, status in order_of:
            history[number].append(scan(number, status, float(hours)))
    again = history[numbers[0]][-1]  # a duplicate: stored once, counts nothing twice
    response = client.post("/api/v1/scans", json=again, headers=auth(scanner))
    assert response.status_code == 200, response.text

    def compare_all(services: Services) -> Any:
        async def work() -> None:
            def compare(connection: Connection) -> None:
                rows = connection.execute(select(merchant.c.id).where(merchant.c.name.like("Counts %")))
                ids = [row.id for row in rows]
                assert parcel_counts.counts(connection, None) == counted(connection, None)
                for merchant_id in ids:
                    mine = frozenset({merchant_id})
                    assert parcel_counts.counts(connection, mine) == counted(connection, merchant_id)
                assert parcel_counts.counts(connection, frozenset()) == {}

            await services.db.read(compare)

        return work()

    run_services(compare_all)
    # A voided scan moves its parcel back; a cancelled order moves every parcel of it.
    last = next(h[-1] for h in history.values() if len(h) >= 2)
    void = client.post(
        f"/api/v1/parcels/{last['tracking_number']}/scans/{last['event_id']}/void",
        json={"reason": "Wrong parcel scanned"},
        headers={**auth(shops[0] if last["tracking_number"] in numbers[::2] else shops[1])},
    )
    assert void.status_code == 201, void.text
    placed = client.post("/api/v1/orders", json=order_body(parcels=THREE, placed_at=PLACED), headers=auth(shops[1]))
    assert placed.status_code == 201, placed.text
    cancelled = client.post(
        f"/api/v1/orders/{placed.json()['order_number']}/cancel",
        json={"reason": "customer asked"},
        headers={**auth(shops[1]), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert cancelled.status_code == 200, cancelled.text
    run_services(compare_all)

    def fold_then_compare(services: Services) -> Any:
        async def work() -> None:
            await fold_changes(services)
            assert await services.db.read(parcel_counts.pending) == 0
            await compare_all(services)

        return work()

    run_services(fold_then_compare)
    scan(numbers[1], "exception", 30.0)  # after a fold: counts and new changes add up
    run_services(compare_all)


def test_folds_while_scans_are_written_lose_and_double_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any]
) -> None:
    shop, scanner = make_key("merchant", merchant="Counts C"), make_key("scanner", name="counts-c")
    numbers = []
    for _ in range(20):
        response = client.post("/api/v1/orders", json=order_body(placed_at=PLACED), headers=auth(shop))
        assert response.status_code == 201, response.text
        numbers.append(response.json()["parcels"][0]["tracking_number"])
    done = threading.Event()

    def ingest() -> None:
        try:
            for hours, status in enumerate(STATUSES):
                batch = [scan_body(n, status, at=START + timedelta(hours=hours)) for n in numbers]
                response = client.post("/api/v1/scans/batch", json={"scans": batch}, headers=auth(scanner))
                assert response.status_code == 200, response.text
        finally:
            done.set()

    def fold_meanwhile(services: Services) -> Any:
        async def work() -> None:
            while not done.is_set():
                await fold_changes(services)
                await asyncio.sleep(0)
            await fold_changes(services)

            def compare(connection: Connection) -> None:
                assert parcel_counts.pending(connection) == 0
                assert parcel_counts.counts(connection, None) == counted(connection, None)

            await services.db.read(compare)

        return work()

    writer = threading.Thread(target=ingest)
    writer.start()
    run_services(fold_meanwhile)
    writer.join()
