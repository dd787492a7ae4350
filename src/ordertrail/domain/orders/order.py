"""Orders and their parcels as the merchant registers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ordertrail.domain import inputs
from ordertrail.domain.errors import FieldProblem


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


def spec_problems(spec: OrderSpec, *, now: datetime) -> list[FieldProblem]:
    """The rules a new order breaks (empty when it is acceptable): its number, when it was placed, its promise."""
    problems: list[FieldProblem] = []
    number = inputs.order_number_problem(spec.order_number)
    if number is not None:
        problems.append(FieldProblem("order_number", number))
    placed_at = spec.placed_at or now
    when = inputs.instant_problem(placed_at, now=now)
    if when is not None:
        problems.append(FieldProblem("placed_at", when))
    elif spec.promised_delivery_date is not None:
        promise = inputs.promise_problem(spec.promised_delivery_date, placed_at)
        if promise is not None:
            problems.append(FieldProblem("promised_delivery_date", promise))
    country = inputs.country_problem(spec.destination.country)
    if country is not None:
        problems.append(FieldProblem("destination.country", country))
    return problems


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
