"""Request schemas of order placement, and their conversion to domain order specs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from ordertrail.api.schemas.common import Country, Instant, OrderNumber, PostalCode, ShortText, Strict, Text
from ordertrail.domain.errors import InvalidTrackingNumber
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.domain.tracking import tracking_number as tn


class CustomerIn(Strict):
    name: Text
    email: EmailStr
    phone: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9 ()./-]{4,40}$")]
        | None
    ) = None


class AddressIn(Strict):
    line1: Text
    line2: Text | None = None
    city: ShortText
    region: ShortText | None = None
    postal_code: PostalCode
    country: Country


class ParcelIn(Strict):
    reference: ShortText | None = None
    weight_grams: int | None = Field(None, ge=1, le=1_000_000)
    tracking_number: str | None = Field(
        None,
        max_length=40,
        description="Only for pre-printed labels: a valid, unused ordertrail tracking number.",
    )


class OrderCreate(Strict):
    order_number: OrderNumber
    placed_at: Instant | None = Field(
        None,
        description="When the shop took the order (default: now); RFC 3339 with an offset, from "
        "2000-01-01T00:00:00Z to 10 minutes from now.",
    )
    customer: CustomerIn
    destination: AddressIn
    parcels: list[ParcelIn] = Field(default_factory=lambda: [ParcelIn()], min_length=1, max_length=100)
    promised_delivery_date: date | None = Field(
        None, description="The delivery date promised to the customer: from the day placed to a year after."
    )
    merchant: ShortText | None = Field(None, description="Admin keys only: the merchant the order belongs to.")

    def to_spec(self) -> OrderSpec:
        parcels = []
        for index, parcel in enumerate(self.parcels):
            number = None
            if parcel.tracking_number is not None:
                try:
                    number = tn.normalize(parcel.tracking_number)
                except InvalidTrackingNumber as error:
                    error.field = f"parcels.{index}.tracking_number"
                    raise InvalidTrackingNumber(error.detail, field=error.field) from error
            parcels.append(
                ParcelSpec(reference=parcel.reference, weight_grams=parcel.weight_grams, tracking_number=number)
            )
        d = self.destination
        return OrderSpec(
            order_number=self.order_number,
            customer=Customer(name=self.customer.name, email=str(self.customer.email), phone=self.customer.phone),
            destination=Address(
                line1=d.line1,
                line2=d.line2,
                city=d.city,
                region=d.region,
                postal_code=d.postal_code,
                country=d.country,
            ),
            placed_at=self.placed_at,
            promised_delivery_date=self.promised_delivery_date,
            parcels=tuple(parcels),
        )


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="Why (kept in the audit log and on the parcel's private timeline; never shown publicly)."
    )
    merchant: ShortText | None = Field(
        None, description="Orders only: the merchant, when several that the caller sees use the number."
    )


class NoticeIn(Strict):
    message: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="What to tell the customer (line breaks kept); emailed and shown on the tracking page, signed "
        "with the shop's name."
    )


class CustomerCorrectionIn(Strict):
    """Only the fields sent change (checked by domain/orders/recipient.py, as the console's form is)."""

    name: str | None = Field(None, max_length=20_000)
    email: str | None = Field(None, max_length=20_000)
    phone: str | None = Field(None, max_length=20_000, description="null (or empty) removes it.")


class AddressCorrectionIn(Strict):
    """Only the fields sent change."""

    line1: str | None = Field(None, max_length=20_000)
    line2: str | None = Field(None, max_length=20_000, description="null (or empty) removes it.")
    city: str | None = Field(None, max_length=20_000)
    region: str | None = Field(None, max_length=20_000, description="null (or empty) removes it.")
    postal_code: str | None = Field(None, max_length=20_000)
    country: str | None = Field(None, max_length=20_000, description="ISO 3166-1 alpha-2.")


class RecipientCorrectionIn(Strict):
    reason: str = Field(max_length=20_000, description="Why, up to 500 characters (kept with the version).")
    customer: CustomerCorrectionIn | None = None
    destination: AddressCorrectionIn | None = None
    merchant: ShortText | None = Field(
        None, description="The merchant, when several that the caller sees use the number."
    )

    def given(self) -> dict[str, str | None]:
        """The fields sent, by their dotted names."""
        found: dict[str, str | None] = {}
        for prefix, part in (("customer", self.customer), ("destination", self.destination)):
            if part is not None:
                found |= {f"{prefix}.{k}": v for k, v in part.model_dump(exclude_unset=True).items()}
        return found
