"""Example answers of the main routes, for the document's responses: one order's first hours (api/examples/common.py).

Each is an answer the server gave in that story (its ids and times then fixed), so it shows every field a
client gets, null ones too.
"""

from __future__ import annotations

from typing import Any

from ordertrail.api.examples.accounts import INVALID_LOGO, KEY, MERCHANT_KEY, MERCHANT_WITH_LOGO
from ordertrail.api.examples.analytics import TRENDS

ORDER: dict[str, Any] = {
    "order_number": "NW-1001",
    "placed_at": "2026-11-26T08:15:00+00:00",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
    "destination": {
        "line1": "12 Analytical Row",
        "line2": None,
        "city": "London",
        "region": None,
        "postal_code": "N1 9GU",
        "country": "GB",
    },
    "promised_delivery_date": "2026-11-28",
    "parcels": [
        {
            "tracking_number": "OTZ3SKERX40SB",
            "position": 1,
            "reference": "laptop",
            "weight_grams": 1200,
            "status": "order_placed",
            "status_label": "Order placed",
            "substatus": None,
            "status_version": 0,
            "last_event_at": "2026-11-26T08:15:00+00:00",
            "tracking_url_path": "/t/OTZ3SKERX40SB",
            "events": [
                {
                    "event_id": "7c1e4a52-3b9d-4f60-8a2e-5d7f1b3c9e04",
                    "sequence": 1,
                    "status": "order_placed",
                    "status_label": "Order placed",
                    "substatus": None,
                    "occurred_at": "2026-11-26T08:15:00+00:00",
                    "recorded_at": "2026-11-26T08:15:00.231000+00:00",
                    "location": {
                        "facility": None,
                        "city": None,
                        "region": None,
                        "postal_code": None,
                        "country": None,
                        "lat": None,
                        "lon": None,
                    },
                    "note": None,
                    "reason": None,
                    "voids_event_id": None,
                    "late": False,
                    "effect": "applied",
                }
            ],
        },
        {
            "tracking_number": "OT9QF82NR6E7Y",
            "position": 2,
            "reference": "charger",
            "weight_grams": 800,
            "status": "order_placed",
            "status_label": "Order placed",
            "substatus": None,
            "status_version": 0,
            "last_event_at": "2026-11-26T08:15:00+00:00",
            "tracking_url_path": "/t/OT9QF82NR6E7Y",
            "events": [
                {
                    "event_id": "2f8b6d19-0c4e-4a7b-9e35-6a1d8c2f7b50",
                    "sequence": 1,
                    "status": "order_placed",
                    "status_label": "Order placed",
                    "substatus": None,
                    "occurred_at": "2026-11-26T08:15:00+00:00",
                    "recorded_at": "2026-11-26T08:15:00.231000+00:00",
                    "location": {
                        "facility": None,
                        "city": None,
                        "region": None,
                        "postal_code": None,
                        "country": None,
                        "lat": None,
                        "lon": None,
                    },
                    "note": None,
                    "reason": None,
                    "voids_event_id": None,
                    "late": False,
                    "effect": "applied",
                }
            ],
        },
    ],
    "merchant": "Northwind",
}

ORDER_PAGE: dict[str, Any] = {
    "orders": [
        {
            "order_number": "NW-1001",
            "placed_at": "2026-11-26T08:15:00+00:00",
            "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
            "destination": {
                "line1": "12 Analytical Row",
                "line2": None,
                "city": "London",
                "region": None,
                "postal_code": "N1 9GU",
                "country": "GB",
            },
            "promised_delivery_date": "2026-11-28",
            "parcels": [
                {
                    "tracking_number": "OTZ3SKERX40SB",
                    "position": 1,
                    "reference": "laptop",
                    "weight_grams": 1200,
                    "status": "dispatched",
                    "status_label": "Dispatched",
                    "substatus": None,
                    "status_version": 2,
                    "last_event_at": "2026-11-26T13:05:00+00:00",
                },
                {
                    "tracking_number": "OT9QF82NR6E7Y",
                    "position": 2,
                    "reference": "charger",
                    "weight_grams": 800,
                    "status": "order_placed",
                    "status_label": "Order placed",
                    "substatus": None,
                    "status_version": 0,
                    "last_event_at": "2026-11-26T08:15:00+00:00",
                },
            ],
        }
    ],
    "next_cursor": None,
}

SCAN: dict[str, Any] = {
    "event_id": "0b6f0f9e-8a4e-4a8e-9f1e-3d2b8f6c1a11",
    "outcome": "created",
    "sequence": 2,
    "effect": "applied",
    "late": False,
    "event": {
        "event_id": "0b6f0f9e-8a4e-4a8e-9f1e-3d2b8f6c1a11",
        "sequence": 2,
        "status": "packed",
        "status_label": "Packed",
        "substatus": None,
        "occurred_at": "2026-11-26T09:30:00+01:00",
        "recorded_at": "2026-11-26T08:30:02.114000+00:00",
        "location": {
            "facility": "Leeds DC",
            "city": "Leeds",
            "region": None,
            "postal_code": None,
            "country": "GB",
            "lat": None,
            "lon": None,
        },
        "note": None,
        "reason": None,
        "voids_event_id": None,
        "late": False,
        "effect": "applied",
    },
    "previous": {"status": "order_placed", "status_label": "Order placed", "since": "2026-11-26T08:15:00+00:00"},
    "parcel": {
        "tracking_number": "OTZ3SKERX40SB",
        "status": "packed",
        "status_label": "Packed",
        "substatus": None,
        "status_version": 1,
        "status_changed_at": "2026-11-26T09:30:00+01:00",
        "last_sequence": 2,
        "order_number": "NW-1001",
        "position": 1,
        "parcel_count": 2,
        "destination": {"city": "London", "country": "GB"},
    },
}

SCAN_BATCH: dict[str, Any] = {
    "results": [
        {
            "event_id": "5a3c9e71-2d4b-4f8a-b6e0-1c7d9f2a4e38",
            "outcome": "created",
            "sequence": 3,
            "effect": "applied",
            "late": False,
            "previous": {"status": "packed", "status_label": "Packed", "since": "2026-11-26T08:30:00+00:00"},
            "parcel": {
                "tracking_number": "OTZ3SKERX40SB",
                "status": "dispatched",
                "status_label": "Dispatched",
                "substatus": None,
                "status_version": 2,
                "status_changed_at": "2026-11-26T14:05:00+01:00",
                "last_sequence": 3,
                "order_number": "NW-1001",
                "position": 1,
                "parcel_count": 2,
                "destination": {"city": "London", "country": "GB"},
            },
        },
        {
            "event_id": "x",
            "outcome": "invalid",
            "error": "scans.1.event_id Input should be a valid UUID, invalid character: found `x` at 0",
            "errors": [
                {
                    "field": "scans.1.event_id",
                    "reason": "Input should be a valid UUID, invalid character: found `x` at 0",
                }
            ],
        },
    ],
    "counts": {"created": 1, "duplicate": 0, "conflict": 0, "unmatched": 0, "invalid": 1},
}

TRACKING: dict[str, Any] = {
    "tracking_number": "OTZ3SKERX40SB",
    "status": "dispatched",
    "status_label": "Dispatched",
    "substatus": None,
    "milestones": [
        {"status": "order_placed", "label": "Order placed", "reached_at": "2026-11-26T08:15:00+00:00"},
        {"status": "processing", "label": "Being prepared", "reached_at": None},
        {"status": "packed", "label": "Packed", "reached_at": "2026-11-26T09:30:00+01:00"},
        {"status": "dispatched", "label": "Dispatched", "reached_at": "2026-11-26T14:05:00+01:00"},
        {"status": "in_transit", "label": "In transit", "reached_at": None},
        {"status": "out_for_delivery", "label": "Out for delivery", "reached_at": None},
        {"status": "delivered", "label": "Delivered", "reached_at": None},
    ],
    "estimated_delivery": {
        "earliest": "2026-11-27",
        "latest": "2026-11-28",
        "confidence": 0.8,
        "updated_at": "2026-11-26T13:05:00+00:00",
        "text": "Fri 27 – Sat 28 Nov",
    },
    "delay": None,
    "notice": None,
    "messages": [],
    "last_sequence": 3,
    "events": [
        {
            "sequence": 1,
            "status": "order_placed",
            "status_label": "Order placed",
            "substatus": None,
            "reason": None,
            "occurred_at": "2026-11-26T08:15:00+00:00",
            "occurred_local": "Thu 26 Nov 2026, 08:15 (UTC)",
            "location": {"city": None, "region": None, "country": None},
            "place": None,
            "detail": None,
            "late": False,
        },
        {
            "sequence": 2,
            "status": "packed",
            "status_label": "Packed",
            "substatus": None,
            "reason": None,
            "occurred_at": "2026-11-26T09:30:00+01:00",
            "occurred_local": "Thu 26 Nov 2026, 09:30 (UTC+01:00)",
            "location": {"city": "Leeds", "region": None, "country": "GB"},
            "place": "Leeds, GB",
            "detail": None,
            "late": False,
        },
        {
            "sequence": 3,
            "status": "dispatched",
            "status_label": "Dispatched",
            "substatus": None,
            "reason": None,
            "occurred_at": "2026-11-26T14:05:00+01:00",
            "occurred_local": "Thu 26 Nov 2026, 14:05 (UTC+01:00)",
            "location": {"city": "Leeds", "region": None, "country": "GB"},
            "place": "Leeds, GB",
            "detail": None,
            "late": False,
        },
    ],
    "courier": None,
}

PARCEL_SUMMARY: dict[str, Any] = {
    "tracking_number": "OTZ3SKERX40SB",
    "status": "dispatched",
    "status_label": "Dispatched",
    "substatus": None,
    "status_version": 2,
    "status_changed_at": "2026-11-26T13:05:00+00:00",
    "last_sequence": 3,
    "order_number": "NW-1001",
    "position": 1,
    "parcel_count": 2,
    "destination": {"city": "London", "country": "GB"},
}

WEBHOOK_ENDPOINT: dict[str, Any] = {
    "id": 1,
    "url": "https://shop.example.com/hooks/ordertrail",
    "description": "shop backend",
    "event_types": ["parcel.delivered", "parcel.exception"],
    "created_at": "2026-11-26T08:20:00+00:00",
    "disabled_at": None,
    "disabled_reason": None,
    "rotation_ends_at": None,
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}

DUPLICATE_ORDER: dict[str, Any] = {
    "type": "urn:ordertrail:error:duplicate-order",
    "title": "Conflict",
    "status": 409,
    "detail": "Order 'NW-1001' already exists (placed 2026-11-26T08:15:00+00:00).",
    "errors": [
        {"field": "order_number", "reason": "Order 'NW-1001' already exists (placed 2026-11-26T08:15:00+00:00)."}
    ],
}

INVALID_SCAN: dict[str, Any] = {
    "type": "urn:ordertrail:error:invalid-input",
    "title": "Invalid input",
    "status": 422,
    "detail": "The scan breaks a rule.",
    "errors": [
        {
            "field": "reason",
            "reason": (
                "is required for exception: one of address_problem, capacity_delay, customs_hold, customs_inspection, "
                "damaged, incomplete_address, label_unreadable, lost, misrouted, missed_connection, missing_documents, "
                "natural_disaster, prohibited_item, public_unrest, refused, strike, unpaid_duties, vehicle_breakdown, "
                "weather"
            ),
        }
    ],
}


# The examples by operation id and status.
ANSWERS: dict[tuple[str, int], dict[str, Any]] = {
    ("create_order", 201): ORDER,
    ("create_order", 409): DUPLICATE_ORDER,
    ("get_order", 200): ORDER,
    ("list_orders", 200): ORDER_PAGE,
    ("record_scan", 201): SCAN,
    ("record_scan", 422): INVALID_SCAN,
    ("record_scan_batch", 200): SCAN_BATCH,
    ("get_tracking", 200): TRACKING,
    ("get_parcel_summary", 200): PARCEL_SUMMARY,
    ("create_webhook_endpoint", 201): WEBHOOK_ENDPOINT,
    ("create_merchant_key", 201): MERCHANT_KEY,
    ("set_merchant_logo", 200): MERCHANT_WITH_LOGO,
    ("set_merchant_logo", 422): INVALID_LOGO,
    ("get_current_key", 200): KEY,
    ("get_trends", 200): TRENDS,
    ("check_health", 200): {"status": "ok"},
    ("check_readiness", 200): {"status": "ready", "live": "in-process"},
}
