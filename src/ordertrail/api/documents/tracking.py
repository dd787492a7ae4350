"""The public tracking document (``services/tracking/documents.py``): no personal data."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from ordertrail.api.documents.common import Document, EventStatus
from ordertrail.api.documents.couriers import PublicCourierOut
from ordertrail.domain.scanning.status import Status


class MilestoneOut(Document):
    status: Status
    label: str
    reached_at: datetime | None


class EstimateOut(Document):
    earliest: date = Field(description="In the destination's local dates.")
    latest: date
    confidence: float
    updated_at: datetime
    text: str = Field(description="The window in words, e.g. 'Tue 3 – Wed 4 Mar'.")


class DelayOut(Document):
    reason: str
    message: str


class NoticeOut(Document):
    happened: str
    next: str


class PublicLocationOut(Document):
    city: str | None
    region: str | None
    country: str | None


class PublicEventOut(Document):
    sequence: int
    status: EventStatus
    status_label: str
    substatus: str | None
    reason: str | None = Field(description="A reason code of the status; free text is never public.")
    occurred_at: datetime
    occurred_local: str = Field(description="The time where it happened, e.g. 'Tue 3 Mar 2026, 14:05 (UTC+01:00)'.")
    location: PublicLocationOut
    place: str | None
    detail: str | None = Field(description="What a problem event means, in plain words.")
    late: bool


class ShopMessageOut(Document):
    text: str = Field(description="What the shop wrote to the customer, in its own words.")
    sent_at: datetime
    sent_local: str = Field(description="sent_at for people to read.")


class TrackingOut(Document):
    tracking_number: str
    status: Status
    status_label: str
    substatus: str | None
    milestones: list[MilestoneOut]
    estimated_delivery: EstimateOut | None
    delay: DelayOut | None
    notice: NoticeOut | None = Field(description="The current problem and what happens next, if any.")
    messages: list[ShopMessageOut] = Field(description="Messages from the shop about this parcel, oldest first.")
    courier: PublicCourierOut | None = Field(description="The courier the parcel was handed to, and its page.")
    last_sequence: int
    events: list[PublicEventOut] = Field(description="The public timeline, in the order the events happened.")
