"""Karrio ``tracker.*`` webhook notifications: the tracker's ``events``.

Karrio posts ``{"event": "tracker.updated", "data": {tracker}}`` (its API's events list it under ``type``). Every
event of the tracker is read, so those recorded already answer ``duplicate``. An event has no id: (tracker id,
date, time, code) names it. Its code is its Karrio ``status`` where it has one (mapped by ``karrio.json``), else
the carrier's own ``code`` (mapped by that courier's file). Its ``date`` and ``time`` carry no offset: read as UTC.
Its ``location`` is one free text, kept with the description (never public). ``info`` (names, "signed by") is
never read.
"""

from __future__ import annotations

from typing import Any

from ordertrail.domain.couriers.aggregators.common import ForeignEvent, field_of, item, listed, text


def events(document: Any) -> list[ForeignEvent]:
    """The events of a tracker notification; none for other events. Raises InvalidInput for a malformed one."""
    kind = field_of(document, "event", where="event") or document.get("type")
    if not isinstance(kind, str) or not kind.startswith("tracker."):
        return []
    tracker = field_of(document, "data", where="data")
    tracker_id = text(field_of(tracker, "id", where="data")) or ""
    carrier = text(tracker.get("carrier_name")) or ""
    number = tracker.get("tracking_number")
    found = []
    for index, event in enumerate(listed(field_of(tracker, "events", where="data"), where="data.events")):
        where = f"data.events.{index}"
        day, time = text(field_of(event, "date", where=where)), text(event.get("time"))
        status, own_code = text(event.get("status")), text(event.get("code"))
        code = status or own_code or ""
        location = text(event.get("location"))
        words = text(event.get("description"))
        read = item(
            event_id=f"{tracker_id}:{day}:{time or ''}:{own_code or status or ''}",
            tracking_number=number,
            code=code,
            occurred_at=None if day is None else f"{day}T{_clock(time)}+00:00",
            text_=" — ".join(part for part in (words, location) if part),
            where={},
        )
        found.append(ForeignEvent(carrier, read, "karrio" if status else None))
    return found


def _clock(time: str | None) -> str:
    """Karrio's ``time`` (``HH:MM``, sometimes with seconds or ``AM``/``PM``) as ``HH:MM:SS``."""
    if time is None:
        return "00:00:00"
    words = time.upper().split()
    parts = [int(p) if p.isdigit() else -1 for p in words[0].split(":")] if words else []
    if len(parts) not in (2, 3) or -1 in parts:
        return time  # the schema refuses it, naming occurred_at
    hours = parts[0] % 12 + (12 if words[-1] == "PM" else 0) if words[-1] in ("AM", "PM") else parts[0]
    return f"{hours:02d}:{parts[1]:02d}:{parts[2] if len(parts) == 3 else 0:02d}"
