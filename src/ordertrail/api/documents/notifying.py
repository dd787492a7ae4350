"""Webhook endpoints, their delivery log and replays, and a merchant's notification settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ordertrail.api.documents.common import Document
from ordertrail.domain.scanning.status import Status


class WebhookEndpointOut(Document):
    id: int
    url: str
    description: str | None
    event_types: list[str] = Field(description="Empty: every event type.")
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    rotation_ends_at: datetime | None = Field(description="Until then the previous secret signs too.")


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret (whsec_…), shown this once.")


class WebhookEndpointListOut(Document):
    webhook_endpoints: list[WebhookEndpointOut]


class DeliveryAttemptOut(Document):
    id: int
    message_id: str
    event_type: str
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's answer; null when none came.")
    duration_ms: int
    response_body: str | None = Field(description="The start of the receiver's answer.")
    error: str | None
    succeeded: bool
    message_state: str
    next_attempt_at: datetime | None = Field(
        description="While the message is pending: when it will be tried again (Retry-After included)."
    )


class DeliveryLogOut(Document):
    deliveries: list[DeliveryAttemptOut] = Field(description="Newest attempt first.")
    next_before: int | None = Field(description="Pass as ?before= for the next page; null on the last.")


class TestEventOut(Document):
    message_id: str = Field(description="The webhook-id the receiver gets.")
    event_type: str = Field(description="webhook.test")


class ReplayOut(Document):
    replayed: int = Field(description="How many dead messages were queued again.")


class NotificationSettingsOut(Document):
    customer_statuses: list[Status] = Field(description="Statuses that email the customer.")
    webhooks: bool


class MerchantLogoOut(Document):
    url: str = Field(description="Where the logo is served, publicly; the address changes when the logo does.")
    media_type: str = Field(description="image/png or image/jpeg, as decoded from the upload.")
    width: int = Field(description="Pixels.")
    height: int = Field(description="Pixels.")
    size: int = Field(description="Bytes.")
    sha256: str = Field(description="Of the image's bytes: its version, and the ETag it is served with.")


class MerchantSettingsOut(Document):
    id: int
    name: str = Field(description="The merchant's own name (how staff and keys name it).")
    display_name: str | None = Field(description="The name customers see on the tracking page and in emails.")
    shown_name: str = Field(description="What customers see: the display name, else the name.")
    support_email: str | None = Field(description="Where customers write for help.")
    support_url: str | None = Field(description="The shop's help page.")
    logo: MerchantLogoOut | None = Field(description="Shown on the tracking page and in emails; null: none.")


class WeeklyReportOut(Document):
    enabled: bool = Field(description="Whether the weekly report is sent.")
    recipients: list[str] = Field(description="The addresses it goes to, lower-cased.")


class MerchantListOut(Document):
    merchants: list[MerchantSettingsOut]


class MerchantKeyOut(Document):
    id: int
    name: str
    display_prefix: str = Field(description="The key's first characters, to recognise it; never the key.")
    created_at: datetime
    revoked_at: datetime | None


class MerchantKeyListOut(Document):
    keys: list[MerchantKeyOut] = Field(description="Live and revoked, oldest first.")


class MerchantKeySecretOut(MerchantKeyOut):
    key: str = Field(description="The API key (ot_merchant_…), shown this once: only its hash is stored.")
