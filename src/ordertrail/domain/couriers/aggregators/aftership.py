"""AfterShip Tracking webhooks (``"event": "tracking_update"``): the tracking's ``checkpoints``.

``msg`` is the tracking; every checkpoint is read, so those recorded already answer ``duplicate``. A checkpoint is
named by its ``hash`` where AfterShip sends one, else by (tracking id, checkpoint_time, subtag). Its code is
``tag/subtag``. A ``checkpoint_time`` without an offset is read as UTC. The tracking's customers, e-mails, phone
numbers, addresses and ``signed_by`` are never read.
"""

from __future__ import annotations

from typing import Any

from ordertrail.domain.couriers.aggregators.common import (
    ForeignEvent,
    as_utc_if_naive,
    field_of,
    item,
    listed,
    place,
    text,
)


def events(document: Any) -> list[ForeignEvent]:
    """The checkpoints of a tracking update; none for other events. Raises InvalidInput for a malformed one."""
    if field_of(document, "event", where="event") != "tracking_update":
        return []
    tracking = field_of(document, "msg", where="msg")
    tracking_id = text(field_of(tracking, "id", where="msg")) or ""
    number = tracking.get("tracking_number")
    checkpoints = listed(field_of(tracking, "checkpoints", where="msg"), where="msg.checkpoints")
    found = []
    for index, checkpoint in enumerate(checkpoints):
        where = f"msg.checkpoints.{index}"
        tag = text(field_of(checkpoint, "tag", where=where)) or ""
        subtag = text(checkpoint.get("subtag"))
        at = checkpoint.get("checkpoint_time")
        event = item(
            event_id=text(checkpoint.get("hash")) or f"{tracking_id}:{at}:{subtag or tag}",
            tracking_number=number,
            code=f"{tag}/{subtag}" if subtag else tag,
            occurred_at=as_utc_if_naive(at),
            text_=checkpoint.get("message"),
            where=place(
                city=checkpoint.get("city"),
                region=checkpoint.get("state"),
                postal_code=checkpoint.get("zip"),
                country=checkpoint.get("country_region") or checkpoint.get("country_iso3"),
            ),
        )
        carrier = text(checkpoint.get("slug")) or text(tracking.get("slug")) or ""
        found.append(ForeignEvent(carrier, event, "aftership"))
    return found
