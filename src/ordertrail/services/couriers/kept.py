"""Courier events as JSON: kept whole while no handover has their (courier, number), replayed when one does."""

from __future__ import annotations

import json
from datetime import datetime

from ordertrail.domain.couriers.events import CourierEvent
from ordertrail.domain.scanning.events import Location

_PLACE = ("facility", "city", "region", "postal_code", "country", "lat", "lon")


def event_to_json(event: CourierEvent) -> str:
    return json.dumps(
        {
            "courier": event.courier,
            "courier_event_id": event.courier_event_id,
            "tracking_number": event.tracking_number,
            "code": event.code,
            "occurred_at": event.occurred_at.isoformat(),
            "body_hash": event.body_hash,
            "description": event.description,
            "location": {name: getattr(event.location, name) for name in _PLACE},
            "vocabulary": event.vocabulary,
        },
        separators=(",", ":"),
    )


def event_from_json(text: str) -> CourierEvent:
    """The inverse of ``event_to_json``."""
    document = json.loads(text)
    return CourierEvent(
        courier=document["courier"],
        courier_event_id=document["courier_event_id"],
        tracking_number=document["tracking_number"],
        code=document["code"],
        occurred_at=datetime.fromisoformat(document["occurred_at"]),
        body_hash=document["body_hash"],
        description=document["description"],
        location=Location(**document["location"]),
        vocabulary=document.get("vocabulary"),  # absent from events kept before aggregators came
    )
