"""The console's answers over the API: the parcel list, the audit log, cancellations and messages to customers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordertrail.api.documents.common import Document
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import ActorKind


class ListedEstimateOut(Document):
    earliest: date
    latest: date
    confidence: float


class ListedParcelOut(Document):
    tracking_number: str
    order_number: str
    merchant: str
    status: Status
    reason: str | None
    customer_name: str
    customer_email: str | None = Field(description="null when the caller's role may not see the customer's contact.")
    destination_country: str
    placed_at: datetime
    last_event_at: datetime
    delayed: bool
    stalled: bool
    stalled_at: datetime | None
    stall_after: datetime | None
    step: str | None
    delay_reason: str | None
    promised_delivery_date: date | None
    estimated_delivery: ListedEstimateOut | None


class ParcelPageOut(Document):
    parcels: list[ListedParcelOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page (same sort); null on the last.")
    checked_at: datetime | None = Field(
        description="When this process last looked for stalled parcels (null: the job runs in another process)."
    )


class ActorOut(Document):
    kind: ActorKind
    id: int | None
    name: str


class AuditEntryOut(Document):
    id: int
    at: datetime
    actor: ActorOut
    action: str
    merchant_id: int | None
    order_number: str | None
    tracking_number: str | None
    address: str | None
    detail: dict[str, Any]


class AuditPageOut(Document):
    entries: list[AuditEntryOut] = Field(description="Newest first.")
    next_cursor: str | None


class CancelledParcelOut(Document):
    tracking_number: str
    order_number: str
    status: Status = Field(description="cancelled")
    changed: bool = Field(description="False: it was cancelled already (a retry changes nothing).")


class CancellationOut(Document):
    parcels: list[CancelledParcelOut]


class CustomerNoticeOut(Document):
    tracking_number: str
    message: str
    sent_at: datetime
    sent_by: str = Field(description="Who wrote it (never shown to the customer).")


class NoteAuthorOut(Document):
    kind: ActorKind
    id: int | None
    name: str


class NoteOut(Document):
    id: int
    at: datetime
    author: NoteAuthorOut
    message: str


class ExceptionHandledOut(Document):
    tracking_number: str
    handled_at: datetime
    handled_by: NoteAuthorOut = Field(description="Who marked it (kind, id, name as it was then).")
    what_was_done: str


class ResentMessageOut(Document):
    message_id: str = Field(description="The new message's id (its webhook-id): the one in the delivery log.")
    resends: str = Field(description="The message_id of the original it copies.")
    channel: str
    event_type: str


class ResendOut(Document):
    tracking_number: str
    resent: list[ResentMessageOut]


class ScanFixOut(Document):
    tracking_number: str
    event_id: str = Field(description="The event recorded: the correction, or the manual scan.")
    status: str = Field(description="The event's status: correction for a void.")
    reason: str | None
    occurred_at: datetime
    facility: str | None
    voids_event_id: str | None = Field(description="A void: the scan it voids.")
    manual: bool = Field(description="True for a scan recorded by hand.")
    parcel_status: Status = Field(description="The parcel's status after it.")


class RecipientVersionOut(Document):
    version: int = Field(description="1 is the order as placed; each correction the next.")
    at: datetime
    by: ActorOut | None = Field(description="Who corrected it (null for version 1).")
    reason: str | None
    changed: list[str] = Field(description="The fields it changed, e.g. customer.email, destination.line1.")
    customer: dict[str, str | None] | None = Field(None, description="Only with the contact permission.")
    destination: dict[str, str | None] | None = Field(None, description="Only with the contact permission.")


class RecipientCorrectionOut(Document):
    order_number: str
    changed: bool = Field(description="False: the order says this already (nothing was recorded).")
    version: RecipientVersionOut | None = Field(description="The version made; null when nothing changed.")


class TimelineEntryOut(BaseModel):
    """One entry of a parcel's timeline: its kind and time, then the fields of that kind (docs/console.md has the
    table: a scan's status and location, an estimate's window, a message's state and attempts, an action, a note)."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["scan", "estimate", "email", "webhook", "action", "note"]
    at: datetime


class OtherParcelOut(Document):
    tracking_number: str
    position: int
    status: Status


class DetailOrderOut(Document):
    order_number: str
    merchant: str
    placed_at: datetime
    promised_delivery_date: date | None
    customer: dict[str, str | None] = Field(description="name; email and phone only with the contact permission.")
    destination: dict[str, str | None] = Field(
        description="city, region, country; the street and postal code only with the contact permission."
    )
    other_parcels: list[OtherParcelOut]


class ParcelTimelineOut(Document):
    tracking_number: str
    status: Status
    status_label: str
    substatus: str | None
    position: int
    parcel_count: int
    reference: str | None
    weight_grams: int | None
    order: DetailOrderOut
    contact_shown: bool = Field(description="Whether the customer's contact is included (the reader's permission).")
    recipient_versions: list[RecipientVersionOut] = Field(
        description="Every version of the order's recipient, oldest first (empty: never corrected)."
    )
    timeline: list[TimelineEntryOut] = Field(description="Every entry, in time order.")


class LabelToPrintOut(Document):
    tracking_number: str
    order_number: str
    merchant: str
    position: int = Field(description="Parcel x of `parcel_count` of its order.")
    parcel_count: int
    placed_at: datetime
    status: Status


class LabelsToPrintOut(Document):
    items: list[LabelToPrintOut] = Field(
        description="Parcels without a printed label, placed today (UTC) or not yet dispatched, oldest first; "
        "never cancelled ones. At most 500."
    )
