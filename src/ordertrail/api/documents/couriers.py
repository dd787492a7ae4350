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


class HandoverResultOut(Document):
    index: int = Field(description="The item's place in the batch, from 0.")
    tracking_number: str | None
    outcome: str = Field(description="handed_over, unchanged, invalid or not_found.")
    courier: str | None
    courier_tracking_number: str | None = Field(description="As stored: spaces dropped, upper case.")
    errors: list[FieldProblemOut] = Field(description="For invalid: the fields, named handovers.<n>.<field>.")


class HandoversOut(Document):
    results: list[HandoverResultOut] = Field(description="One per handover, in the order sent.")
    counts: dict[str, int] = Field(description="How many handovers had each outcome.")


class PublicCourierOut(Document):
    code: str
    name: str
    tracking_number: str
    service_level: str | None
    tracking_url: str | None


class CourierMappingOut(Document):
    merchant: str
    courier: str
    code: str = Field(description="The courier's status code.")
    status: str = Field(description="What the code means now.")
    reason: str | None
    substatus: str | None
    updated_at: datetime
    updated_by: str = Field(description="Who set (or removed) the override.")


class CourierMappingChangeOut(CourierMappingOut):
    source: str = Field(description="override, shipped (a mapping file's entry) or unmapped (recorded in transit).")
    rederived: int = Field(description="How many courier events were recorded again with the new meaning.")


class CourierMappingsOut(Document):
    overrides: list[CourierMappingOut] = Field(description="By merchant, courier and code.")


class UnmappedCodeOut(Document):
    merchant: str
    courier: str
    code: str
    events: int = Field(description="Courier events with this code, recorded in transit.")
    parcels: int = Field(description="Parcels with such an event.")
    last_seen_at: datetime


class UnmappedCodesOut(Document):
    codes: list[UnmappedCodeOut] = Field(description="Most recently seen first.")
