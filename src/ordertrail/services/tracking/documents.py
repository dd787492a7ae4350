"""The public face of a parcel: what anyone holding its tracking number may see.

Only status, times (each event's own offset), city-level places and reason codes with their customer-facing
labels: never names, addresses, postal codes, notes, facilities, order numbers, or what a scanner typed as a
reason (a status without reason codes takes any text there, and a driver may write the recipient's name).
The JSON API, the tracking page and the live streams all build on these functions, so the line is drawn in
one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ordertrail.domain.couriers.handover import Handover
from ordertrail.domain.estimating.revisions import delay_text, window_text
from ordertrail.domain.scanning.changes import EstimateSnapshot, ParcelChange
from ordertrail.domain.scanning.derivation import Derivation, TimelineEntry
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.status import ATTEMPT_REASONS, EXCEPTION_REASONS, MAIN_MILESTONES, Status, label
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.domain.tracking.customer_texts import notice_for
from ordertrail.realtime.messages import LiveMessage
from ordertrail.services.tracking.lookup import TrackingView


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def local_time_text(moment: datetime) -> str:
    """A time as it was where it happened: ``Tue 3 Mar 2026, 14:05 (UTC+01:00)``."""
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} ({zone})"


def place_text(where: Location) -> str | None:
    """City-level place, e.g. ``Leeds, West Yorkshire, GB``."""
    parts = [p for p in (where.city, where.region, where.country) if p]
    return ", ".join(parts) or None


def public_reason(status: str, reason: str | None) -> str | None:
    """The event's reason if it is one of the codes of its status, else None (free text is never public)."""
    if status == Status.EXCEPTION and reason in EXCEPTION_REASONS:
        return reason
    if status == Status.DELIVERY_ATTEMPTED and reason in ATTEMPT_REASONS:
        return reason
    return None


def notice_document(status: str, reason: str | None) -> dict[str, str] | None:
    notice = notice_for(status, reason)
    return None if notice is None else {"happened": notice.happened, "next": notice.next}


def public_event(entry: TimelineEntry) -> dict[str, Any]:
    event = entry.event
    where = event.location
    return {
        "sequence": event.sequence,
        "status": event.status,
        "status_label": label(event.status),
        "substatus": event.substatus,
        "reason": public_reason(event.status, event.reason),
        "occurred_at": event.occurred_at.isoformat(),
        "occurred_local": local_time_text(event.occurred_at),
        "location": {"city": where.city, "region": where.region, "country": where.country},
        "place": place_text(where),
        "detail": _detail(event),
        "late": entry.late,
    }


def _detail(event: ScanEvent) -> str | None:
    """What a problem event means, in plain words (exceptions and failed attempts only)."""
    reason = public_reason(event.status, event.reason)
    if reason is None:
        return None
    notice = notice_for(event.status, reason)
    return None if notice is None else notice.happened


def current_notice(derivation: Derivation) -> dict[str, str] | None:
    last = derivation.last_applied
    return notice_document(derivation.status.value, last.reason if last else None)


def public_tracking(view: TrackingView) -> dict[str, Any]:
    """The public tracking document."""
    derivation = view.derivation
    return {
        "tracking_number": view.parcel.tracking_number,
        "status": derivation.status.value,
        "status_label": label(derivation.status),
        "substatus": derivation.substatus,
        "milestones": [
            {"status": status.value, "label": label(status), "reached_at": _iso(at)}
            for status, at in derivation.reached_at().items()
        ],
        "estimated_delivery": estimate_document(view.estimate),
        "delay": delay_document(view.estimate),
        "notice": current_notice(derivation),
        # The shop's own words to the customer (who wrote them stays private: the page signs with the shop).
        "messages": [
            {"text": m.text, "sent_at": m.created_at.isoformat(), "sent_local": local_time_text(m.created_at)}
            for m in view.messages
        ],
        "last_sequence": view.parcel.state.last_sequence,
        "events": [public_event(entry) for entry in derivation.timeline if entry.public],
        "courier": courier_document(view.courier),
    }


def courier_document(handover: Handover | None) -> dict[str, Any] | None:
    """The courier carrying the parcel on: its name, its number and its page (all the customer needs there)."""
    if handover is None:
        return None
    return {
        "code": handover.courier,
        "name": handover.courier_name or handover.courier.upper(),
        "tracking_number": handover.tracking_number,
        "service_level": handover.service_level,
        "tracking_url": handover.tracking_url,
    }


def live_document(
    *, tracking_number: str, event: ScanEvent, effect: Effect, late: bool, status: str, substatus: str | None
) -> dict[str, Any]:
    """One live message: the new event (None when it is not public: a correction) and the parcel's status now."""
    entry = TimelineEntry(event=event, effect=effect, late=late)
    document: dict[str, Any] = {
        "tracking_number": tracking_number,
        "sequence": event.sequence,
        "status": status,
        "status_label": label(status),
        "substatus": substatus,
        "progress": MAIN_MILESTONES.index(status) if status in MAIN_MILESTONES else None,
        "event": public_event(entry) if entry.public else None,
        # A correction changes earlier entries: the page reloads the timeline rather than patch it.
        "refresh": effect is Effect.CORRECTION,
    }
    if effect is Effect.APPLIED:
        document["notice"] = notice_document(status, event.reason)
    return document


def estimate_document(estimate: EstimateSnapshot | None) -> dict[str, Any] | None:
    """``estimated_delivery``: the window in the destination's local dates, its confidence, when it was made."""
    if estimate is None:
        return None
    return {
        "earliest": estimate.earliest.isoformat(),
        "latest": estimate.latest.isoformat(),
        "confidence": estimate.confidence,
        "updated_at": estimate.updated_at.isoformat(),
        "text": window_text(estimate.earliest, estimate.latest),
    }


def delay_document(estimate: EstimateSnapshot | None) -> dict[str, str] | None:
    """The delay overlay in plain words (None when the parcel is on schedule)."""
    if estimate is None or estimate.delay_reason is None:
        return None
    return {"reason": estimate.delay_reason, "message": delay_text(estimate.delay_reason)}


def live_message(change: ParcelChange) -> LiveMessage:
    """The bus message for a committed change (with the parcel's estimate as that transaction left it)."""
    document = live_document(
        tracking_number=change.tracking_number,
        event=change.event,
        effect=change.effect,
        late=change.late,
        status=change.status,
        substatus=change.substatus,
    )
    document["estimated_delivery"] = estimate_document(change.estimate)
    document["delay"] = delay_document(change.estimate)
    return LiveMessage(
        change.parcel_id, change.order_id, change.event.sequence, orjson.dumps(document), change.merchant_id
    )
