"""Load a delivery history (the CSV of ``ordertrail eta import-history``) into a running server through its HTTP
API, as a shop and its carrier would: one ``POST /api/v1/orders`` per parcel (placed at the history's time, with
the destination and the promise), then every later event through ``POST /api/v1/scans/batch`` in time order.

This is how issue 15 measures the estimator on a real-shaped history: afterwards
``ordertrail eta backtest --from-store`` replays what the store kept. Usage::

    python -m bench.load_history_api shop.csv --base-url http://127.0.0.1:8000 \
        --merchant-key "$MERCHANT_KEY" --scanner-key "$SCANNER_KEY"

The scanner key must not be bound to a facility (a bound key would overwrite every scan's facility).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

BATCH = 1000  # the API's most scans per batch
CONCURRENCY = 8  # order requests in flight: enough to keep a group-committing server busy on two cores


@dataclass
class HistoryParcel:
    name: str
    placed_at: str = ""
    destination: dict[str, str] = field(default_factory=dict)
    promised: str | None = None
    scans: list[dict[str, Any]] = field(default_factory=list)


def read_parcels(path: Path) -> list[HistoryParcel]:
    """The file's parcels with their orders' fields and their scans (order_placed becomes the order itself)."""
    parcels: dict[str, HistoryParcel] = {}
    with path.open(newline="", encoding="utf-8-sig") as lines:
        for row in csv.DictReader(lines):
            parcel = parcels.setdefault(row["parcel"], HistoryParcel(row["parcel"]))
            if row.get("destination_country"):
                parcel.destination = {
                    "line1": "1 Main Street",
                    "city": "Somewhere",
                    "country": row["destination_country"],
                    **({"postal_code": row["destination_postal_code"]} if row.get("destination_postal_code") else {}),
                    **({"region": row["destination_region"]} if row.get("destination_region") else {}),
                }
            if row.get("promised_date"):
                parcel.promised = row["promised_date"]
            if row["status"] == "order_placed":
                parcel.placed_at = row["occurred_at"]
                continue
            location = {
                key: row[column]
                for key, column in (
                    ("facility", "facility"),
                    ("region", "region"),
                    ("postal_code", "postal_code"),
                    ("country", "country"),
                )
                if row.get(column)
            }
            scan: dict[str, Any] = {"event_id": str(uuid.uuid4()), "status": row["status"]}
            scan["occurred_at"] = row["occurred_at"]
            if location:
                scan["location"] = location
            parcel.scans.append(scan)
    # A parcel without an order_placed row is placed at its first event, as the shop's system would have done.
    for parcel in parcels.values():
        if not parcel.placed_at and parcel.scans:
            parcel.placed_at = min(parcel.scans, key=lambda s: _instant(s["occurred_at"]))["occurred_at"]
    return [p for p in parcels.values() if p.destination and p.placed_at]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _place(client: httpx.AsyncClient, key: str, parcel: HistoryParcel) -> str:
    body: dict[str, Any] = {
        "order_number": f"H-{parcel.name}",
        "placed_at": parcel.placed_at,
        "customer": {"name": "History Customer", "email": "customer@example.com"},
        "destination": parcel.destination,
    }
    if parcel.promised:
        body["promised_delivery_date"] = parcel.promised
    response = await client.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {key}"})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"order {parcel.name}: {response.status_code} {response.text}")
    return str(response.json()["parcels"][0]["tracking_number"])


async def load(path: Path, base_url: str, merchant_key: str, scanner_key: str) -> tuple[int, int]:
    parcels = read_parcels(path)
    numbers: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def place(parcel: HistoryParcel) -> None:
            async with gate:
                numbers[parcel.name] = await _place(client, merchant_key, parcel)

        for start in range(0, len(parcels), 2000):
            await asyncio.gather(*(place(p) for p in parcels[start : start + 2000]))
            print(f"orders: {min(start + 2000, len(parcels))}/{len(parcels)}", file=sys.stderr)
        # Scans in time order, as the carrier sent them; each names its parcel by the number the order got.
        scans = sorted(
            (dict(scan, tracking_number=numbers[p.name]) for p in parcels for scan in p.scans),
            key=lambda s: _instant(s["occurred_at"]),
        )
        refused: defaultdict[str, int] = defaultdict(int)
        for start in range(0, len(scans), BATCH):
            response = await client.post(
                "/api/v1/scans/batch",
                json={"scans": scans[start : start + BATCH]},
                headers={"Authorization": f"Bearer {scanner_key}"},
            )
            if response.status_code >= 300:
                raise RuntimeError(f"scan batch at {start}: {response.status_code} {response.text[:500]}")
            for result in response.json()["results"]:
                if result["outcome"] not in ("created", "duplicate"):
                    refused[f"{result['outcome']}: {result.get('error', '')}"] += 1
            if start // BATCH % 10 == 0:
                print(f"scans: {start + BATCH}/{len(scans)}", file=sys.stderr)
        for reason, count in refused.items():
            print(f"refused {count} scans: {reason}", file=sys.stderr)
    return len(parcels), len(scans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--merchant-key", required=True)
    parser.add_argument("--scanner-key", required=True)
    args = parser.parse_args()
    orders, scans = asyncio.run(load(args.file, args.base_url, args.merchant_key, args.scanner_key))
    print(f"loaded {orders} orders and {scans} scans")


if __name__ == "__main__":
    main()
