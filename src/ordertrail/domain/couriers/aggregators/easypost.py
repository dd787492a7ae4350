"""EasyPost ``tracker.updated`` (and ``tracker.created``) Events: the Tracker's ``tracking_details``.

An Event (``{"object": "Event", "description": "tracker.updated", "result": {Tracker}}``) carries the tracker's
whole history; every detail is read, so the ones already recorded answer ``duplicate``. A detail has no id of its
own: (tracker id, datetime, status, status_detail) names it. Its code is ``status/status_detail``. The Tracker's
``signed_by`` and ``carrier_detail`` are never read.
"""

from __future__ import annotations

from typing import Any, Final

from ordertrail.domain.couriers.aggregators.common import ForeignEvent, field_of, item, listed, place, text

_TRACKER_EVENTS: Final = frozenset({"tracker.updated", "tracker.created"})


def events(document: Any) -> list[ForeignEvent]:
    """The events of an EasyPost Event; none for other kinds of Event. Raises InvalidInput for a malformed one."""
    if field_of(document, "description", where="description") not in _TRACKER_EVENTS:
        return []
    tracker = field_of(document, "result", where="result")
    tracker_id = text(field_of(tracker, "id", where="result")) or ""
    carrier = text(field_of(tracker, "carrier", where="result")) or ""
    number = field_of(tracker, "tracking_code", where="result")
    details = listed(field_of(tracker, "tracking_details", where="result"), where="result.tracking_details")
    found = []
    for index, detail in enumerate(details):
        where = f"result.tracking_details.{index}"
        status = text(field_of(detail, "status", where=where)) or ""
        status_detail = text(detail.get("status_detail"))
        at = detail.get("datetime")
        location = detail.get("tracking_location")
        location = location if isinstance(location, dict) else {}
        code = f"{status}/{status_detail}" if status_detail else status
        event = item(
            event_id=f"{tracker_id}:{at}:{status}:{status_detail or ''}",
            tracking_number=number,
            code=code,
            occurred_at=at,
            text_=detail.get("message"),
            where=place(
                city=location.get("city"),
                region=location.get("state"),
                postal_code=location.get("zip"),
                country=location.get("country"),
            ),
        )
        found.append(ForeignEvent(carrier, event, "easypost"))
    return found
