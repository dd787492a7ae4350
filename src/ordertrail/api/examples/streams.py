"""An example of a live stream's first bytes: the retry hint, a message, a keep-alive comment."""

from __future__ import annotations

import json
from typing import Any

from ordertrail.api.examples.answers import TRACKING

# The dispatch scan of the examples' parcel, as it went out live.
UPDATE: dict[str, Any] = {
    "tracking_number": TRACKING["tracking_number"],
    "sequence": 3,
    "status": "dispatched",
    "status_label": "Dispatched",
    "substatus": None,
    "progress": 3,
    "event": TRACKING["events"][2],
    "refresh": False,
    "notice": None,
    "estimated_delivery": TRACKING["estimated_delivery"],
    "delay": None,
}

PARCEL_STREAM = f"retry: 2000\n\nid: 3\ndata: {json.dumps(UPDATE, separators=(',', ':'))}\n\n: keep-alive\n\n"
