"""The ``data:`` of a live-update message (``services/tracking/documents.py``: live_document, live_message): the
parcel's status after one new event, and the event if it is public."""

from __future__ import annotations

from pydantic import Field

from ordertrail.api.documents.common import Document
from ordertrail.api.documents.tracking import DelayOut, EstimateOut, NoticeOut, PublicEventOut
from ordertrail.domain.scanning.status import Status


class LiveUpdateOut(Document):
    """One message of a live stream. Messages replayed after Last-Event-ID carry no estimate or delay fields (the
    estimate of that time is not kept): read them from GET /api/v1/tracking/{tracking_number}."""

    tracking_number: str = Field(description="On an order's stream: which of its parcels this is about.")
    sequence: int = Field(description="The event's place in the parcel's events (the id of a parcel's stream).")
    status: Status = Field(description="The parcel's status after the event.")
    status_label: str
    substatus: str | None
    progress: int | None = Field(
        description="The status's place on the main path (0: order_placed … 6: delivered); null off it."
    )
    event: PublicEventOut | None = Field(description="The new event; null when it is not public (a correction).")
    refresh: bool = Field(description="A correction changed earlier events: read the tracking document again.")
    notice: NoticeOut | None = Field(None, description="When the event moved the status: its problem, if any.")
    estimated_delivery: EstimateOut | None = Field(None, description="Sent live only: the estimate after the event.")
    delay: DelayOut | None = Field(None, description="Sent live only: the delay overlay after the event.")
