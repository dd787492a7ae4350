"""Request schemas of the notification API: webhook endpoints, replays, notification settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from ordertrail.api.schemas.common import Strict, plain
from ordertrail.domain.scanning.status import Status


class WebhookEndpointCreate(Strict):
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000), plain] = Field(
        description="Where to POST: https://… (checked: no loopback, private, link-local or metadata addresses)."
    )
    event_types: list[Annotated[str, StringConstraints(max_length=64), plain]] = Field(
        default_factory=list, max_length=50, description="Event types to receive, e.g. parcel.delivered; empty: all."
    )
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), plain] | None = None
    merchant: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), plain] | None = (
        Field(None, description="Admin keys only: the merchant the endpoint belongs to.")
    )


class ReplayIn(Strict):
    message_ids: list[Annotated[str, StringConstraints(max_length=40), plain]] | None = Field(
        None, max_length=1000, description="The dead messages to send again; omitted: all of them."
    )


class NotificationSettingsIn(Strict):
    customer_statuses: list[Status] = Field(description="Statuses that email the customer.")
    webhooks: bool = Field(True, description="Send webhooks to the merchant's endpoints.")


class MerchantSettingsPatch(Strict):
    """Only the fields sent change; an empty string or null clears one."""

    display_name: Annotated[str, StringConstraints(max_length=200), plain] | None = Field(
        None, description="The name customers see; empty: the merchant's own name."
    )
    support_email: Annotated[str, StringConstraints(max_length=320), plain] | None = Field(
        None, description="Where customers write for help."
    )
    support_url: Annotated[str, StringConstraints(max_length=500), plain] | None = Field(
        None, description="The shop's help page (https://…)."
    )


class WeeklyReportPut(Strict):
    """The whole weekly-report setting: on or off, and who receives it."""

    enabled: bool = Field(description="Send the weekly report (docs/analytics.md).")
    recipients: list[Annotated[str, StringConstraints(max_length=320), plain]] = Field(
        max_length=10, description="The addresses it goes to (at least one when enabled)."
    )


class MerchantKeyCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), plain] = Field(
        description="What the key is for, e.g. where it is used."
    )
