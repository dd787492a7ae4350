"""An example body per webhook event type (``api/documents/webhooks.py``), as the outbox builds it."""

from __future__ import annotations

from typing import Any

from ordertrail.api.examples.common import EVENT_ID, LOCATION, ORDER_NUMBER, RECORDED_AT, SCANNED_AT, TRACKING_NUMBER
from ordertrail.domain.notifying.policy import (
    CORRECTED_EVENT,
    DELAY_CLEARED_EVENT,
    DELAYED_EVENT,
    NOT_PICKED_UP_EVENT,
    STALLED_EVENT,
    TEST_EVENT,
)

# The status before each status, on the main path (an example needs a plausible one, not the only one).
_BEFORE = {
    "order_placed": "order_placed",
    "processing": "order_placed",
    "packed": "processing",
    "dispatched": "packed",
    "in_transit": "dispatched",
    "out_for_delivery": "in_transit",
    "delivered": "out_for_delivery",
    "delivery_attempted": "out_for_delivery",
    "available_for_pickup": "delivery_attempted",
    "exception": "in_transit",
    "returning": "exception",
    "returned": "returning",
    "cancelled": "processing",
}
_REASONS = {"exception": "damaged", "delivery_attempted": "nobody_home"}
TIMESTAMP = "2026-11-26T08:30:02.120000+00:00"


def webhook_example(kind: str) -> dict[str, Any]:
    """The body of a ``kind`` webhook about the examples' order."""
    parcel = {"order_number": ORDER_NUMBER, "tracking_number": TRACKING_NUMBER}
    if kind == TEST_EVENT:
        message = "A test event from ordertrail: nothing happened to a parcel."
        data: dict[str, Any] = {"endpoint_id": 7, "message": message}
    elif kind in (DELAYED_EVENT, DELAY_CLEARED_EVENT):
        window = {"earliest": "2026-11-30", "latest": "2026-12-01"} if kind == DELAYED_EVENT else None
        data = {
            **parcel,
            "reason": "missed_step" if kind == DELAYED_EVENT else "scan",
            "estimated_delivery": window or {"earliest": "2026-11-27", "latest": "2026-11-28"},
            "promised_delivery_date": "2026-11-28",
        }
    elif kind == STALLED_EVENT:
        data = {
            **parcel,
            "step": "in_transit",
            "step_started_at": "2026-11-26T11:40:00+00:00",
            "stall_after": "2026-11-27T23:40:00+00:00",
        }
    elif kind == NOT_PICKED_UP_EVENT:
        data = {
            **parcel,
            "courier": "ups",
            "courier_tracking_number": "1Z5R89390357567127",
            "handed_over_at": "2026-11-26T11:40:00+00:00",
        }
    else:
        data = _status_change(kind)
    return {"type": kind, "timestamp": TIMESTAMP, "data": data}


def _status_change(kind: str) -> dict[str, Any]:
    corrected = kind == CORRECTED_EVENT
    # A correction that voided the dispatch scan moves the parcel back to packed.
    status = "packed" if corrected else kind.removeprefix("parcel.")
    previous = "dispatched" if corrected else _BEFORE[status]
    return {
        "order_number": ORDER_NUMBER,
        "tracking_number": TRACKING_NUMBER,
        "status": status,
        "previous_status": previous,
        "substatus": None,
        "status_version": 4,
        "sequence": 4,
        "event": {
            "event_id": EVENT_ID,
            "status": "correction" if corrected else status,
            "substatus": None,
            "occurred_at": SCANNED_AT,
            "recorded_at": RECORDED_AT,
            "reason": _REASONS.get(status),
            "voids_event_id": "5f0c2b7e-1d3a-4c9b-8e6f-2a4d9c7b1e30" if corrected else None,
            "location": LOCATION,
        },
    }
