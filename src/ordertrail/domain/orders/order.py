"""Orders and their parcels as the merchant registers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Customer:
    """The person the order is for. Never shown on public pages."""

    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """Where the parcels go. Only the city, region and country are public."""

    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True, slots=True)
class ParcelSpec:
    """A parcel as the merchant describes it; ``tracking_number`` only for pre-printed labels."""

    reference: str | None = None
    weight_grams: int | None = None
    tracking_number: str | None = None


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """A new order as the merchant sends it."""

    order_number: str
    customer: Customer
    destination: Address
    placed_at: datetime | None = None
    promised_delivery_date: date | None = None
    parcels: tuple[ParcelSpec, ...] = field(default_factory=lambda: (ParcelSpec(),))


@dataclass(frozen=True, slots=True)
class Order:
    """An order as stored."""

    id: int
    merchant_id: int
    order_number: str
    placed_at: datetime
    customer: Customer
    destination: Address
    promised_delivery_date: date | None
    created_at: datetime
