"""The delivery analytics answer: each figure with its numerator, denominator and the parcels it counted
(docs/analytics.md defines every one)."""

from __future__ import annotations

from datetime import date, datetime

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


class PartDurationsOut(Document):
    parcels_counted: int = Field(description="Parcels whose span of this part ended in the period (one span each).")
    p50_hours: float | None = Field(description="Nearest-rank p50 of their hours; null when none was counted.")
    p90_hours: float | None = Field(description="Nearest-rank p90 of their hours; null when none was counted.")
    parcels: str = Field(description="GET this for exactly the parcels counted.")


class StepTimeOut(PartDurationsOut):
    step: str = Field(description="processing, packed, dispatched, in_transit or out_for_delivery.")


class StepTimesOut(Document):
    from_: date = Field(alias="from")
    to: date
    merchant: str | None
    steps: list[StepTimeOut] = Field(description="Every step in path order: first event to the next later step's.")


class FacilityDwellOut(PartDurationsOut):
    facility: str


class DwellingNowOut(Document):
    count: int = Field(description="Open parcels whose latest scan is at a facility, there longer than its p90.")
    as_of: datetime
    reference_from: date = Field(description="The facilities' p90s are of the stays that ended from this day…")
    reference_to: date = Field(description="…to this one (local dates), over every merchant's parcels.")
    parcels: str = Field(description="GET this for exactly those parcels (the list's dwelling=true).")


class DwellAnalyticsOut(Document):
    from_: date = Field(alias="from")
    to: date
    merchant: str | None
    facilities: list[FacilityDwellOut] = Field(description="Each facility with a stay that ended in the period.")
    dwelling_now: DwellingNowOut
