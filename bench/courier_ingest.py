"""Courier-event ingest against batch scan ingest, in one run: ``python -m bench.courier_ingest``.

Issue 16 asks courier events to be ingested within 20 % of batch scans' throughput. Both go through the app's real
routes (in-process, Starlette's test client: the same HTTP handling, no sockets) on one fresh SQLite store
(``synchronous=FULL``):

- baseline: ``POST /api/v1/scans/batch``, 1,000 in_transit hub scans for 1,000 different parcels a request;
- courier events: ``POST /api/v1/carrier-events``, 1,000 UPS events (code ``I``, in_transit) for 1,000 other
  parcels handed over to UPS, signed with Standard Webhooks (signing is the sender's work: done before the clock).

The aggregators' routes are not measured here: their senders post one tracker a request, which is not a batch.

Rounds alternate the paths so that whatever else the machine runs slows them alike; the best round of each is
reported (a shared machine's slow rounds say little), with the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from ordertrail.app import create_app
from ordertrail.domain.accounts.keys import Role
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade

BATCH = 1000


def keys(url: str) -> dict[str, str]:
    async def main() -> dict[str, str]:
        upgrade(url)
        db = open_database(url)
        try:
            services = Services(db=db)
            await merchant_service.create_merchant(services, name="Bench Shop")
            made = {}
            for role in ("merchant", "scanner", "admin"):
                merchant = "Bench Shop" if role == "merchant" else None
                key = await key_service.create_key(services, role=Role(role), name=f"bench-{role}", merchant=merchant)
                made[role] = key.plaintext
            return made
        finally:
            await db.close()

    return asyncio.run(main())


def parcels(client: TestClient, merchant: str, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        body = {
            "order_number": f"B-{uuid.uuid4().hex[:12]}",
            # Placed before the events of both paths (an hour ago): they come in order, as most scans and courier
            # events do, and take the path that reads no stored event.
            "placed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "customer": {"name": "Bench Customer", "email": "bench@example.com"},
            "destination": {"line1": "1 Bench Row", "city": "London", "postal_code": "N1 9GU", "country": "GB"},
            "parcels": [{"weight_grams": 1000}],
        }
        response = client.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {merchant}"})
        response.raise_for_status()
        numbers.append(response.json()["parcels"][0]["tracking_number"])
    return numbers


def handed_over(client: TestClient, merchant: str, numbers: list[str]) -> list[str]:
    courier_numbers = []
    for number in numbers:
        courier_number = f"BENCH{uuid.uuid4().hex[:12].upper()}"  # in no UPS format: accepted as given
        response = client.post(
            f"/api/v1/parcels/{number}/handover",
            json={"courier": "ups", "tracking_number": courier_number},
            headers={"Authorization": f"Bearer {merchant}"},
        )
        response.raise_for_status()
        courier_numbers.append(courier_number)
    return courier_numbers


def timed(client: TestClient, path: str, body: bytes, headers: dict[str, str], counted: str) -> float:
    """Events created per second by one request."""
    started = time.perf_counter()
    response = client.post(path, content=body, headers={"content-type": "application/json", **headers})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    created = response.json()["counts"]["created"]
    assert created == BATCH, f"{counted}: {created} of {BATCH} created"
    return created / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="measured rounds (after one warm-up)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ordertrail-courier-bench-"))
    try:
        settings = Settings(data_dir=folder, public_base_url="http://bench", sqlite_synchronous="FULL")
        made = keys(settings.resolved_database_url)
        best = {"scans": 0.0, "courier": 0.0}
        with TestClient(create_app(settings)) as client:
            admin = {"Authorization": f"Bearer {made['admin']}"}
            generic = client.post(
                "/api/v1/courier-integrations", json={"courier": "ups", "name": "bench"}, headers=admin
            ).json()
            at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            for round_ in range(args.rounds + 1):
                print(f"round {round_}: placing {2 * BATCH:,} parcels…", flush=True)
                scanned = parcels(client, made["merchant"], BATCH)
                couriered = handed_over(client, made["merchant"], parcels(client, made["merchant"], BATCH))
                scans = json.dumps({"scans": [_scan(n, at) for n in scanned]}).encode()
                events = json.dumps({"events": [_event(n, at) for n in couriered]}).encode()
                message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
                signature = Webhook(generic["secret"]).sign(message_id, now, events.decode())
                standard = {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature,
                }
                figures = {
                    "scans": timed(
                        client, "/api/v1/scans/batch", scans, {"Authorization": f"Bearer {made['scanner']}"}, "scans"
                    ),
                    "courier": timed(
                        client, f"/api/v1/carrier-events?integration={generic['id']}", events, standard, "courier"
                    ),
                }
                if round_:  # the first round warms the caches
                    best = {path: max(best[path], figures[path]) for path in best}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    baseline = best["scans"]
    print("| path (1,000 a request) | events/s | ratio to batch scans |")
    print("|---|---|---|")
    print(f"| batch scans (baseline) | {baseline:,.0f} | 1.00 |")
    print(
        f"| courier events (generic, Standard Webhooks) | {best['courier']:,.0f} | {best['courier'] / baseline:.2f} |"
    )


def _scan(number: str, at: str) -> dict[str, Any]:
    location = {"facility": "Hub Leeds", "city": "Leeds", "country": "GB"}
    return {"event_id": str(uuid.uuid4()), "tracking_number": number, "status": "in_transit", "occurred_at": at,
            "location": location}  # fmt: skip


def _event(number: str, at: str) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "tracking_number": number, "code": "I", "occurred_at": at,
            "location": {"city": "Leeds", "country": "GB"}}  # fmt: skip


if __name__ == "__main__":
    main()
