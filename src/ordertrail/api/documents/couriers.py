"""Answers of the courier routes: a handover, a new integration, and the results of a batch of courier events."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ordertrail.api.documents.common import Document
from ordertrail.api.documents.scanning import FieldProblemOut


class HandoverOut(Document):
    courier: str = Field(description="The courier's code, e.g. ups.")
    courier_name: str | None
    tracking_number: str = Field(description="The courier's own tracking number.")
    service_level: str | None
    tracking_url: str | None = Field(description="The courier's page for this parcel.")
    recognised: bool = Field(description="Whether the number matched one of the courier's known formats.")
    handed_over_at: datetime


class IntegrationOut(Document):
    id: int = Field(description="Pass as ?integration= on POST /api/v1/carrier-events.")
    courier: str
    name: str
    secret: str = Field(description="The secret that signs its requests (generic: a Standard Webhooks whsec_…).")
    source: str = Field(description="generic, karrio, easypost or aftership.")


class CourierEventResultOut(Document):
    id: str | None = Field(description="The courier's own id of the event, as sent.")
    event_id: str | None = None
    outcome: str = Field(description="created, duplicate, conflict, unmatched or invalid.")
    code: str | None = Field(None, description="The courier's status code, as sent.")
    mapped: bool | None = Field(None, description="False: an unknown code, recorded as in_transit.")
    sequence: int | None = None
    errors: list[FieldProblemOut] | None = None


class CourierEventsOut(Document):
    results: list[CourierEventResultOut] = Field(description="One per event, in the order sent.")
    counts: dict[str, int] = Field(description="How many events had each outcome.")


class PublicCourierOut(Document):
    code: str
    name: str
    tracking_number: str
    service_level: str | None
    tracking_url: str | None
