"""Orders as merchants and admins read them (``api/views.py``: order_summary, order_detail)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from ordertrail.api.documents.common import Document
from ordertrail.api.documents.scanning import EventOut
from ordertrail.domain.scanning.status import Status


class CustomerOut(Document):
    name: str
    email: str
    phone: str | None


class AddressOut(Document):
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str = Field(description="ISO 3166-1 alpha-2.")


class OrderParcelOut(Document):
    tracking_number: str
    position: int
    reference: str | None
    weight_grams: int | None
    status: Status
    status_label: str
    substatus: str | None
    status_version: int
    last_event_at: datetime


class _Order(Document):
    order_number: str
    placed_at: datetime
    customer: CustomerOut
    destination: AddressOut
    promised_delivery_date: date | None


class OrderSummaryOut(_Order):
    parcels: list[OrderParcelOut]


class OrderParcelDetailOut(OrderParcelOut):
    tracking_url_path: str = Field(description="The parcel's public tracking page, e.g. /t/OT…")
    events: list[EventOut] = Field(description="The timeline, in the order the events happened.")


class OrderOut(_Order):
    """An order with every parcel's full timeline (private: notes, facilities, proof)."""

    parcels: list[OrderParcelDetailOut]
    merchant: str


class OrderPageOut(Document):
    orders: list[OrderSummaryOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last.")
