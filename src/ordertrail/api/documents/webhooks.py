"""The bodies of the webhooks the outbox sends (``services/notifying/outbox.py``: webhook_body, _overlay_body;
``services/notifying/endpoints.py``: send_test_event), for the document's ``webhooks``.

The services build these bodies as JSON text, signed and stored once in the outbox row, so every retry sends the
same bytes; these models only describe them. Every type is in the Standard Webhooks shape (type, timestamp,
data); ``tests/integration/test_openapi_webhooks.py`` holds delivered bodies to these schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from ordertrail.api.documents.common import Document, EventStatus
from ordertrail.domain.estimating.revisions import Reason
from ordertrail.domain.notifying.policy import (
    CORRECTED_EVENT,
    DELAY_CLEARED_EVENT,
    DELAYED_EVENT,
    NOT_PICKED_UP_EVENT,
    STALLED_EVENT,
    TEST_EVENT,
    event_type,
)
from ordertrail.domain.scanning.status import Status

# The types of a status change: one per status a parcel can reach, and a correction that moved the status.
STATUS_EVENT_TYPES = (*(event_type(status.value) for status in Status), CORRECTED_EVENT)
DELAY_EVENT_TYPES = (DELAYED_EVENT, DELAY_CLEARED_EVENT)


class WebhookLocationOut(Document):
    facility: str | None
    city: str | None
    region: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-2.")


class WebhookEventOut(Document):
    """The event that moved the parcel, as the scanner sent it (free-text notes and proof are never sent)."""

    event_id: str = Field(description="The device's UUID for the scan (or the correction).")
    status: EventStatus
    substatus: str | None
    occurred_at: datetime
    recorded_at: datetime
    reason: str | None
    voids_event_id: str | None = Field(description="On a correction: the event it voided.")
    location: WebhookLocationOut


class StatusChangeData(Document):
    order_number: str
    tracking_number: str
    status: Status = Field(description="The parcel's status after the event.")
    previous_status: Status
    substatus: str | None
    status_version: int = Field(description="Grows by one per status change: drop a webhook older than one seen.")
    sequence: int = Field(description="The event's place in the parcel's events.")
    event: WebhookEventOut


class StatusChangeWebhook(Document):
    """A parcel's status changed: ``parcel.<status>``, or ``parcel.corrected`` when a correction moved it."""

    # An enum rather than a Literal: the types follow the statuses (domain/notifying/policy.py: EVENT_TYPES).
    type: str = Field(json_schema_extra={"enum": list(STATUS_EVENT_TYPES)})
    timestamp: datetime = Field(description="When the message was made (its webhook-timestamp is the sending).")
    data: StatusChangeData


class DeliveryWindowOut(Document):
    earliest: date = Field(description="In the destination's local dates.")
    latest: date


class DelayData(Document):
    order_number: str
    tracking_number: str
    reason: Reason = Field(description="Why the estimate moved (the revision's reason).")
    estimated_delivery: DeliveryWindowOut = Field(description="The estimate that put the parcel past, or back.")
    promised_delivery_date: date = Field(description="The promise the estimate is held to.")


class DelayWebhook(Document):
    """The parcel's estimate went past its promise (``parcel.delayed``) or came back (``parcel.delay_cleared``)."""

    type: Literal["parcel.delayed", "parcel.delay_cleared"]
    timestamp: datetime
    data: DelayData


class StallData(Document):
    order_number: str
    tracking_number: str
    step: str = Field(description="The step the parcel has been in too long, e.g. in_transit.")
    step_started_at: datetime | None
    stall_after: datetime | None = Field(description="When the step counts as stalled.")


class StallWebhook(Document):
    """No scan came for longer than the parcel's current step usually takes (``parcel.stalled``)."""

    type: Literal["parcel.stalled"]
    timestamp: datetime
    data: StallData


class NotPickedUpData(Document):
    order_number: str
    tracking_number: str
    courier: str = Field(description="The code of the courier it was handed to, e.g. ups.")
    courier_tracking_number: str = Field(description="The courier's own number for the parcel.")
    handed_over_at: datetime


class NotPickedUpWebhook(Document):
    """Handed to a courier that sent nothing within its lane's usual window (``parcel.not_picked_up``)."""

    type: Literal["parcel.not_picked_up"]
    timestamp: datetime
    data: NotPickedUpData


class TestData(Document):
    endpoint_id: int
    message: str


class TestWebhook(Document):
    """A test asked for with ``POST /api/v1/webhook-endpoints/{id}/test``: nothing happened to a parcel."""

    type: Literal["webhook.test"]
    timestamp: datetime
    data: TestData


# Each event type the outbox sends, with the model of its body.
WEBHOOKS: dict[str, type[Document]] = {
    **dict.fromkeys(STATUS_EVENT_TYPES, StatusChangeWebhook),
    **dict.fromkeys(DELAY_EVENT_TYPES, DelayWebhook),
    STALLED_EVENT: StallWebhook,
    NOT_PICKED_UP_EVENT: NotPickedUpWebhook,
    TEST_EVENT: TestWebhook,
}
