"""An example body for every JSON request body, by operation id: the examples' order (api/examples/common.py).

Swagger UI puts these in "Try it out", so each is one a client could send (the order and the scans are the ones
that gave api/examples/answers.py).
"""

from __future__ import annotations

from typing import Any

from ordertrail.api.examples.common import (
    EVENT_ID,
    ORDER_NUMBER,
    PLACED_AT,
    SCANNED_AT,
    SECOND_TRACKING_NUMBER,
    TRACKING_NUMBER,
)

_DOCK = {"facility": "Leeds DC", "city": "Leeds", "country": "GB"}
_UPS_NUMBER = "1Z999AA10123456784"  # UPS's own published example, with a valid check digit

ORDER = {
    "order_number": ORDER_NUMBER,
    "placed_at": PLACED_AT,
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
    "destination": {"line1": "12 Analytical Row", "city": "London", "postal_code": "N1 9GU", "country": "GB"},
    "promised_delivery_date": "2026-11-28",
    "parcels": [{"weight_grams": 1200, "reference": "laptop"}, {"weight_grams": 800, "reference": "charger"}],
}

SCAN = {
    "event_id": EVENT_ID,
    "tracking_number": TRACKING_NUMBER,
    "status": "packed",
    "occurred_at": SCANNED_AT,
    "location": _DOCK,
}

SCAN_BATCH = {
    "scans": [
        {
            "event_id": "5a3c9e71-2d4b-4f8a-b6e0-1c7d9f2a4e38",
            "tracking_number": TRACKING_NUMBER,
            "status": "dispatched",
            "substatus": "dispatched.handed_to_carrier",
            "occurred_at": "2026-11-26T14:05:00+01:00",
            "location": _DOCK,
        },
        {
            "event_id": "9d2e7b40-6f1a-4c3e-8b59-0e4a7c1d6f23",
            "tracking_number": SECOND_TRACKING_NUMBER,
            "status": "exception",
            "reason": "damaged",
            "note": "corner crushed, repacked",
            "occurred_at": "2026-11-26T14:07:00+01:00",
            "location": _DOCK,
        },
    ]
}

CANCEL = {"reason": "The customer cancelled by phone."}

REQUESTS: dict[str, dict[str, Any]] = {
    "record_scan": SCAN,
    "record_scan_batch": SCAN_BATCH,
    "create_order": ORDER,
    "cancel_order": CANCEL,
    "cancel_parcel": CANCEL,
    "send_customer_notice": {"message": "Your charger ships separately, on Monday. Sorry for the wait!"},
    "add_parcel_note": {"message": "Customer called: leave with the neighbour at no. 14."},
    "mark_exception_handled": {"what_was_done": "Called the carrier: the address is fixed, redelivery tomorrow."},
    "resend_parcel_notifications": {"channel": "email"},
    "void_parcel_scan": {"reason": "Scanned as delivered at the depot by mistake; the parcel is still on the shelf."},
    "record_manual_scan": {
        "status": "in_transit",
        "facility": "Leeds hub",
        "occurred_at": "2026-03-02T06:40:00+00:00",
        "note": "The hub's scanner was down; arrival confirmed on the paper manifest.",
    },
    "correct_order_recipient": {
        "reason": "The customer called: the flat number was missing.",
        "destination": {
            "line1": "14 Harbour Street, Flat 3",
            "city": "Leeds",
            "postal_code": "LS1 4AB",
            "country": "GB",
        },
    },
    "get_bulk_labels": {"order_numbers": [ORDER_NUMBER, "NW-1002"], "layout": "4x6"},
    "print_labels": {"tracking_numbers": [TRACKING_NUMBER], "layout": "4x6"},
    "attach_unmatched_scan": {"tracking_number": TRACKING_NUMBER},
    "exchange_pairing_code": {"code": "ABCD-EFGH"},
    "create_webhook_endpoint": {
        "url": "https://shop.example.com/hooks/ordertrail",
        "event_types": ["parcel.delivered", "parcel.exception"],
        "description": "shop backend",
    },
    "update_merchant_settings": {
        "display_name": "Northwind Outdoor",
        "support_email": "help@northwind.example",
        "support_url": "https://northwind.example/help",
    },
    "set_weekly_report": {"enabled": True, "recipients": ["ops@northwind.example", "owner@northwind.example"]},
    "create_merchant_key": {"name": "shop backend"},
    "replay_webhook_messages": {"message_ids": ["msg_6b0e3f1c9a2d4e7f8b5c1a0d9e3f7b24"]},
    "update_notification_settings": {
        "customer_statuses": ["dispatched", "out_for_delivery", "delivered", "exception"],
        "webhooks": True,
    },
    "hand_over_parcel": {"courier": "ups", "tracking_number": _UPS_NUMBER, "service_level": "UPS Standard"},
    "hand_over_parcels": {
        "handovers": [
            {"tracking_number": TRACKING_NUMBER, "courier": "ups", "courier_tracking_number": _UPS_NUMBER},
            {
                "tracking_number": SECOND_TRACKING_NUMBER,
                "courier": "royal_mail",
                "courier_tracking_number": "AB123456789GB",
                "service_level": "tracked48",
            },
        ]
    },
    "create_courier_integration": {"courier": "ups", "name": "UPS tracking events"},
    "set_courier_mapping": {"merchant": "northwind", "status": "delivered", "substatus": "delivered.to_neighbour"},
    # An EasyPost tracker.updated Event, as its webhooks guide shows one (trimmed to one tracking detail).
    "record_aggregator_events": {
        "object": "Event",
        "id": "evt_3f5c0e6a7d2b11ef9a1b",
        "mode": "production",
        "description": "tracker.updated",
        "previous_attributes": {"status": "in_transit"},
        "created_at": "2026-11-27T07:41:02Z",
        "updated_at": "2026-11-27T07:41:02Z",
        "pending_urls": [],
        "completed_urls": [],
        "result": {
            "object": "Tracker",
            "id": "trk_c8e0edb5bb284caa934a0d3db23a148z",
            "mode": "production",
            "tracking_code": _UPS_NUMBER,
            "status": "out_for_delivery",
            "status_detail": "out_for_delivery",
            "carrier": "UPS",
            "signed_by": None,
            "tracking_details": [
                {
                    "object": "TrackingDetail",
                    "message": "Out For Delivery Today",
                    "description": "",
                    "status": "out_for_delivery",
                    "status_detail": "out_for_delivery",
                    "datetime": "2026-11-27T07:40:00Z",
                    "source": "UPS",
                    "carrier_code": "OT",
                    "tracking_location": {
                        "object": "TrackingLocation",
                        "city": "LONDON",
                        "state": None,
                        "country": "GB",
                        "zip": "N1",
                    },
                }
            ],
        },
    },
    "record_carrier_events": {
        "events": [
            {
                "id": "ups-evt-20261127-0001",
                "tracking_number": _UPS_NUMBER,
                "code": "O",
                "occurred_at": "2026-11-27T07:40:00+00:00",
                "description": "Out For Delivery Today",
                "location": {"city": "London", "postal_code": "N1", "country": "GB"},
            }
        ]
    },
}
