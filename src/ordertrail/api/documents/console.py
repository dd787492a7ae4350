"""The console's reads over the API: the parcel list and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

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
    customer_email: str
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
