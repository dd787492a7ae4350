"""The delivery analytics answer: each figure with its numerator, denominator and the parcels it counted
(docs/analytics.md defines every one)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from ordertrail.api.documents.common import Document


class ReasonRateOut(Document):
    value: float | None = Field(description="numerator / denominator; null when the denominator is 0.")
    numerator: int
    denominator: int
    parcels: str = Field(description="GET this for exactly the parcels the numerator counted.")


class RateOut(ReasonRateOut):
    denominator_parcels: str = Field(description="GET this for exactly the parcels the denominator counted.")
    by_reason: dict[str, ReasonRateOut] | None = None


class LateOpenOut(Document):
    count: int = Field(description="Past their promise (before as_of) and not delivered, returned or cancelled.")
    parcels: str


class TransitOut(Document):
    parcels_counted: int
    p50_hours: float | None
    p90_hours: float | None
    mean_hours: float | None
    parcels: str


Figure = RateOut | LateOpenOut | TransitOut


class LaneFiguresOut(Document):
    origin: str | None = Field(description="The origin facility (its first dispatch scan); null: none recorded.")
    destination_country: str
    figures: dict[str, Figure]


class DeliveryAnalyticsOut(Document):
    from_: date = Field(alias="from")
    to: date
    as_of: date = Field(description="The day open parcels were judged on (UTC).")
    merchant: str | None
    figures: dict[str, Figure] = Field(description="Every figure over the period, by its name.")
    by_lane: list[LaneFiguresOut]
