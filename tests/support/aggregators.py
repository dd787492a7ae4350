"""Aggregators' webhook documents shaped as their documentation shows them, and their senders' signatures.

Built after the examples of EasyPost's Event/Tracker reference (``tracker.updated``), AfterShip's Tracking webhook
specification (``tracking_update``) and Karrio's webhook notifier (``{"event", "data": tracker}``); written here,
with the personal data those documents carry (names, e-mails, "signed by") that must never reach a public surface.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

# What the documents below carry about people: none of it may appear on a public page, JSON or customer e-mail.
PERSONAL = ("Grace Hopper", "grace@example.org", "+44 7700 900123", "1 Navy Yard", "G HOPPER")


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def easypost_event(number: str, details: list[tuple[str, str | None, datetime, str]]) -> dict[str, Any]:
    """An EasyPost ``tracker.updated`` Event; ``details`` are (status, status_detail, datetime, message)."""
    tracker_id = "trk_c8e0edb5bb284caa934a0d3db23a148z"
    last = details[-1]
    return {
        "object": "Event",
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "mode": "production",
        "description": "tracker.updated",
        "previous_attributes": {"status": "in_transit"},
        "created_at": _utc(last[2]),
        "updated_at": _utc(last[2]),
        "pending_urls": [],
        "completed_urls": [],
        "user_id": "user_060ab38db3c04ffaa60f262e5781a9be",
        "status": "pending",
        "result": {
            "object": "Tracker",
            "id": tracker_id,
            "mode": "production",
            "tracking_code": number,
            "status": last[0],
            "status_detail": last[1],
            "created_at": _utc(details[0][2]),
            "updated_at": _utc(last[2]),
            "signed_by": "G HOPPER" if last[0] == "delivered" else None,
            "weight": None,
            "est_delivery_date": None,
            "shipment_id": None,
            "carrier": "UPS",
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": message,
                    "description": "",
                    "status": status,
                    "status_detail": status_detail,
                    "datetime": _utc(at),
                    "source": "UPS",
                    "carrier_code": "",
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "LEEDS",
                        "state": "West Yorkshire",
                        "country": "GB",
                        "zip": "LS1",
                    },
                }
                for status, status_detail, at, message in details
            ],
            "carrier_detail": {
                "object": "CarrierDetail",
                "service": "UPS Standard",
                "container_type": None,
                "origin_location": "LEEDS GB",
                "destination_location": "1 Navy Yard, LONDON GB",
            },
            "public_url": f"https://track.easypost.com/djE6{tracker_id}",
            "fees": [],
        },
    }


def aftership_update(number: str, checkpoints: list[tuple[str, str, datetime, str]]) -> dict[str, Any]:
    """An AfterShip ``tracking_update`` webhook; ``checkpoints`` are (tag, subtag, checkpoint_time, message)."""
    tag, subtag = checkpoints[-1][0], checkpoints[-1][1]
    return {
        "event": "tracking_update",
        "event_id": str(uuid.uuid4()),
        "is_tracking_first_tag": False,
        "ts": int(checkpoints[-1][2].timestamp()),
        "msg": {
            "id": "5b7658cec7c33c0e007de3c5",
            "tracking_number": number,
            "slug": "ups",
            "active": True,
            "title": number,
            "customer_name": "Grace Hopper",
            "emails": ["grace@example.org"],
            "smses": ["+44 7700 900123"],
            "order_id": "A-1001",
            "order_number": "A-1001",
            "origin_country_region": "GBR",
            "destination_country_region": "GBR",
            "destination_raw_location": "1 Navy Yard, London",
            "shipment_package_count": 1,
            "signed_by": None,
            "source": "api",
            "tag": tag,
            "subtag": subtag,
            "subtag_message": "Arrival scan",
            "checkpoints": [
                {
                    "slug": "ups",
                    "city": "Leeds",
                    "created_at": at.astimezone(UTC).isoformat(),
                    "location": "Leeds, West Yorkshire, GB",
                    "country_region": "GBR",
                    "country_region_name": "United Kingdom",
                    "message": message,
                    "tag": tag,
                    "subtag": subtag,
                    "subtag_message": "Arrival scan",
                    "checkpoint_time": at.isoformat(),
                    "coordinate": {"latitude": None, "longitude": None},
                    "state": "West Yorkshire",
                    "zip": "LS1",
                    "raw_tag": "AR",
                    "events": [],
                    "source": "carrier",
                }
                for tag, subtag, at, message in checkpoints
            ],
        },
    }


def karrio_tracker(number: str, events: list[tuple[str, datetime, str]]) -> dict[str, Any]:
    """A Karrio ``tracker.updated`` notification; ``events`` are (the carrier's code, when, description)."""
    return {
        "event": "tracker.updated",
        "data": {
            "id": "trk_6f9c1b0d2a3e4f5a",
            "object": "tracker",
            "carrier_name": "ups",
            "carrier_id": "ups-account",
            "tracking_number": number,
            "test_mode": False,
            "delivered": False,
            "status": "out_for_delivery",
            "estimated_delivery": None,
            "info": {"customer_name": "Grace Hopper", "signed_by": None, "shipment_destination_country": "GB"},
            "events": [
                {
                    "date": at.astimezone(UTC).strftime("%Y-%m-%d"),
                    "time": at.astimezone(UTC).strftime("%H:%M"),
                    "description": description,
                    "location": "LEEDS, GB",
                    "code": code,
                    "latitude": None,
                    "longitude": None,
                }
                for code, at, description in events
            ],
            "messages": [],
            "meta": {},
            "metadata": {},
        },
    }


def signed(aggregator: str, secret: str, document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and the headers the aggregator would send it with, signed as its documentation says."""
    body = orjson.dumps(document)
    headers = {"content-type": "application/json"}
    if aggregator == "easypost":
        key = unicodedata.normalize("NFKD", secret).encode()
        headers["x-hmac-signature"] = "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    elif aggregator == "aftership":
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        headers["aftership-hmac-sha256"] = base64.b64encode(digest).decode()
    else:
        headers["x-karrio-signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, headers
