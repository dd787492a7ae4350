"""Request schemas of couriers: a parcel's handover, courier events, integrations."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ordertrail.api.schemas.common import Country, Instant, Note, PostalCode, ShortText, Strict, Text, plain
from ordertrail.domain.couriers.events import CourierEvent
from ordertrail.domain.couriers.handover import normalize_courier_number
from ordertrail.domain.scanning.events import NOWHERE, Location


class HandoverIn(Strict):
    """A parcel handed to a courier."""

    courier: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="The courier's code: lower-case letters, digits, '_' or '-' (ups, dhl, fedex, royal_mail…)."
    )
    tracking_number: Annotated[str, StringConstraints(max_length=60)] = Field(
        description="The courier's tracking number; spaces are dropped. Checked where tracking-numbers knows the"
        " courier's formats (a failed check digit is refused), else taken as given."
    )
    service_level: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), plain] | None = None
    tracking_url: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="The courier's page for this parcel (http or https); default: the library's, if it knows."
    )


class CourierPlaceIn(Strict):
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: PostalCode | None = None
    country: Country | None = None


class CourierEventIn(Strict):
    """One event in the courier's words (the generic format of docs/couriers.md)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The courier's id of this event: the same on every resend."
    )
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(
        description="The courier's tracking number, as in the parcel's handover."
    )
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The courier's status code, mapped by the courier's mapping file; unmapped: in_transit."
    )
    occurred_at: Instant
    description: Note | None = Field(None, description="The courier's text; kept, never public.")
    location: CourierPlaceIn | None = None

    def to_event(self, courier: str, vocabulary: str | None = None) -> CourierEvent:
        """The domain event, with the hash of its canonical body (to tell a resend from a changed event).

        ``vocabulary``: the aggregator whose codes ``code`` is in (None: the courier's own).
        """
        canonical = {"courier": courier, **self.model_dump(mode="json", exclude_none=True)}
        if vocabulary is not None:
            canonical["vocabulary"] = vocabulary
        body_hash = hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()
        where = self.location
        return CourierEvent(
            courier=courier,
            courier_event_id=self.id,
            tracking_number=normalize_courier_number(self.tracking_number),
            code=self.code,
            occurred_at=self.occurred_at,
            body_hash=body_hash,
            description=self.description,
            location=NOWHERE
            if where is None
            else Location(city=where.city, region=where.region, postal_code=where.postal_code, country=where.country),
            vocabulary=vocabulary,
        )


class CourierEventBatchIn(Strict):
    # Documentation only (the route parses by hand, item by item, like a scan batch).
    events: list[CourierEventIn | Any] = Field(description="Up to 1,000 events; each is recorded or refused alone.")


class HandoverItemIn(Strict):
    """One parcel of a bulk handover: ordertrail's tracking number and the handover's fields."""

    tracking_number: Annotated[str, StringConstraints(max_length=64)] = Field(description="ordertrail's number.")
    courier: Annotated[str, StringConstraints(max_length=32)] = Field(description="The courier's code, e.g. ups.")
    courier_tracking_number: Annotated[str, StringConstraints(max_length=60)] = Field(
        description="The courier's tracking number, checked as in a single handover."
    )
    service_level: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), plain] | None = None
    tracking_url: Annotated[str, StringConstraints(max_length=2000)] | None = None


class HandoverBatchIn(Strict):
    # Documentation only (the route parses by hand, item by item, so that each is answered in its place).
    handovers: list[HandoverItemIn | Any] = Field(description="Up to 1,000 handovers; each is judged alone.")


class AggregatorWebhookIn(BaseModel):
    """An aggregator's webhook document, as it sends it (Karrio, EasyPost and AfterShip shape theirs)."""

    # Documentation only: the route reads the document with its aggregator's reader (domain/couriers/aggregators).
    model_config = ConfigDict(extra="allow")


class IntegrationIn(Strict):
    courier: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="The courier it speaks for; an aggregator's events of other couriers are refused."
    )
    name: Text
    source: Literal["generic", "karrio", "easypost", "aftership"] = Field(
        "generic",
        description="Who posts: generic (POST /api/v1/carrier-events, Standard Webhooks) or an aggregator's"
        " webhooks (POST /api/v1/carrier-events/{source}, verified with that aggregator's signature).",
    )
    secret: Annotated[str, StringConstraints(min_length=8, max_length=100), plain] | None = Field(
        None,
        description="An aggregator's webhook secret, where it makes one (AfterShip, Karrio); default: a new one"
        " (give it to EasyPost as the webhook_secret). Never for generic integrations.",
    )


class CourierMappingIn(Strict):
    """A merchant's meaning of one courier code; checked by the mapping files' rules (docs/couriers.md)."""

    merchant: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="The merchant whose mapping this is; may be left out by a reader of one merchant."
    )
    status: Annotated[str, StringConstraints(max_length=32)] = Field(
        description="An ordertrail status a courier can report (not order_placed, processing, packed, cancelled)."
    )
    reason: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="The reason code, required for exception and delivery_attempted."
    )
    substatus: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="Optionally one of the status's substatuses."
    )
