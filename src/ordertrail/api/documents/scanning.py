"""The answers to scans (single and batch) and the private view of a stored event (``api/views.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ordertrail.api.documents.common import Document, EventStatus
from ordertrail.domain.scanning.scans import Outcome
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect


class EventLocationOut(Document):
    facility: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    lat: float | None
    lon: float | None


class ProofOut(Document):
    recipient_name: str | None
    signature_png_base64: str | None
    photo_jpeg_base64: str | None


class EventOut(Document):
    """A stored event with everything the scanner sent (private: notes, facilities, proof)."""

    event_id: str = Field(description="The device's UUID for the scan.")
    sequence: int = Field(description="The parcel's event counter: 1 for order_placed, then one per event.")
    status: EventStatus
    status_label: str
    substatus: str | None
    occurred_at: datetime
    recorded_at: datetime
    location: EventLocationOut
    note: str | None
    reason: str | None
    voids_event_id: str | None
    late: bool = Field(description="Recorded after an event that happened later.")
    effect: Effect | None = Field(description="What the event did to the parcel's status, replayed in time order.")
    proof: ProofOut | None = Field(None, description="Proof of delivery, on events that carry it.")


class DestinationOut(Document):
    city: str
    country: str


class ParcelSummaryOut(Document):
    """What a scanner shows after a scan: the status, and enough to put the parcel on the right shelf."""

    tracking_number: str
    status: Status
    status_label: str
    substatus: str | None
    status_version: int
    status_changed_at: datetime
    last_sequence: int
    order_number: str
    position: int = Field(description="The parcel's place in its order, from 1.")
    parcel_count: int
    destination: DestinationOut


class PreviousStatusOut(Document):
    status: Status
    status_label: str
    since: datetime | None


class FieldProblemOut(Document):
    field: str = Field(description="A dotted path such as scans.3.reason.")
    reason: str


class ScanOut(Document):
    """The answer to one scan: the stored event and the parcel after it (fields absent where there is none)."""

    event_id: str
    outcome: Outcome
    sequence: int | None = None
    effect: Effect | None = None
    late: bool | None = None
    event: EventOut | None = None
    previous: PreviousStatusOut | None = Field(None, description="The parcel's status just before this scan.")
    parcel: ParcelSummaryOut | None = None


class ScanBatchItemOut(Document):
    """One scan of a batch, in its place: as a single scan's answer without the event (the device sent it), or
    why it was not recorded."""

    event_id: str | None = Field(description="The item's event_id, when it had a readable one.")
    outcome: Outcome
    sequence: int | None = None
    effect: Effect | None = None
    late: bool | None = None
    previous: PreviousStatusOut | None = None
    parcel: ParcelSummaryOut | None = None
    error: str | None = Field(None, description="The problems in one line (outcome invalid).")
    errors: list[FieldProblemOut] | None = Field(None, description="The offending fields (outcome invalid).")


class OutcomeCountsOut(Document):
    created: int
    duplicate: int
    conflict: int
    unmatched: int
    invalid: int


class ScanBatchOut(Document):
    results: list[ScanBatchItemOut] = Field(description="One per scan sent, in the same order.")
    counts: OutcomeCountsOut
