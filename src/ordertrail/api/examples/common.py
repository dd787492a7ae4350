"""The one order the examples tell about, so that a request, its answer and its webhooks agree."""

from __future__ import annotations

ORDER_NUMBER = "NW-1001"
# Two real tracking numbers (valid check characters), the order's two parcels.
TRACKING_NUMBER = "OTZ3SKERX40SB"
SECOND_TRACKING_NUMBER = "OT9QF82NR6E7Y"
EVENT_ID = "0b6f0f9e-8a4e-4a8e-9f1e-3d2b8f6c1a11"
PLACED_AT = "2026-11-26T08:15:00+00:00"
SCANNED_AT = "2026-11-26T09:30:00+01:00"
RECORDED_AT = "2026-11-26T08:30:02.114000+00:00"
LOCATION = {"facility": "Leeds DC", "city": "Leeds", "region": None, "country": "GB"}
