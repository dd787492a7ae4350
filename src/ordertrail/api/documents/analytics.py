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
    by_party: dict[str, ReasonRateOut] | None = Field(
        default=None, description="exceptions only: responsible party -> the rate of its reasons."
    )


class LateOpenOut(Document):
    count: int = Field(description="Past their promise (before as_of) and not delivered, returned or cancelled.")
    parcels: str


class TransitOut(Document):
    parcels_counted: int
    p50_hours: float | None
    p90_hours: float | None
    mean_hours: float | None
    p50_days: float | None = Field(description="Nearest-rank p50 in delivery days (the destination's calendar).")
    p90_days: float | None = Field(description="Nearest-rank p90 in delivery days.")
    mean_days: float | None = Field(description="Mean delivery days: after the start's local date to the delivery's.")
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


# -- one route per figure (GET /api/v1/analytics/{kpi}) ------------------------------------------------------


class GroupKeyOut(Document):
    """What a breakdown row is keyed by: a lane (origin, destination_country), an origin facility, a service level
    or a reason."""

    origin: str | None = Field(default=None, description="by=lane or facility: the origin facility (null: none).")
    destination_country: str | None = Field(default=None, description="by=lane: the destination country.")
    reason: str | None = Field(default=None, description="by=reason: the reason code.")
    service_level: str | None = Field(
        default=None, description="by=service_level: the parcel's courier handover's (null: none; links carry '-')."
    )


class PeriodOut(Document):
    from_: date = Field(alias="from")
    to: date
    as_of: date = Field(description="The day open parcels were judged on (UTC).")
    merchant: str | None
    by: str | None = Field(description="The breakdown asked for (null: none).")


class OnTimeFiguresOut(Document):
    vs_promise: RateOut = Field(description="Delivered by the order's promised date, of delivered with one.")
    late_open: LateOpenOut
    vs_first_estimate: RateOut = Field(description="Delivered by the latest date of the first estimate.")
    inside_first_window: RateOut = Field(description="Delivered between the first estimate's earliest and latest.")


class OnTimeGroupOut(OnTimeFiguresOut, GroupKeyOut):
    pass


class OnTimeOut(OnTimeFiguresOut, PeriodOut):
    breakdown: list[OnTimeGroupOut] | None = Field(
        description="With by=lane, facility or service_level: the same per key."
    )


class FirstAttemptFiguresOut(Document):
    rate: RateOut = Field(description="Delivered with no failed attempt before, of delivered that went out.")


class FirstAttemptGroupOut(FirstAttemptFiguresOut, GroupKeyOut):
    pass


class FirstAttemptOut(FirstAttemptFiguresOut, PeriodOut):
    breakdown: list[FirstAttemptGroupOut] | None


class TransitFiguresOut(Document):
    from_dispatch: TransitOut = Field(description="Hours from the first dispatch scan to the delivery.")
    from_order: TransitOut = Field(description="Hours from the order's placing to the delivery.")


class TransitGroupOut(TransitFiguresOut, GroupKeyOut):
    pass


class TransitTimeOut(TransitFiguresOut, PeriodOut):
    breakdown: list[TransitGroupOut] | None


class ExceptionFiguresOut(Document):
    rate: RateOut = Field(description="Dispatched parcels with at least one exception, of dispatched parcels.")
    by_reason: dict[str, ReasonRateOut] = Field(description="Reason code -> the exception rate of that reason.")
    by_party: dict[str, ReasonRateOut] = Field(
        description="Who must act (carrier, merchant, recipient, customs, force_majeure; every party) -> the rate of "
        "dispatched parcels with an exception of that party's reason codes (the console's mapping)."
    )
    failed_attempts: RateOut = Field(description="Dispatched parcels with a failed attempt, by_reason likewise.")


class ExceptionGroupOut(GroupKeyOut):
    """by=lane or facility: the figures of the key's parcels; by=reason: both rates of that reason alone."""

    rate: ReasonRateOut
    by_reason: dict[str, ReasonRateOut] | None = None
    by_party: dict[str, ReasonRateOut] | None = None
    failed_attempts: ReasonRateOut


class ExceptionsOut(ExceptionFiguresOut, PeriodOut):
    breakdown: list[ExceptionGroupOut] | None


class ShareOut(Document):
    value: float | None = Field(description="numerator / denominator; null when the denominator is 0.")
    numerator: int
    denominator: int


class ActivityOut(Document):
    scans: int = Field(description="Scans (every event but corrections) dated in the period, local date.")
    active_hours: int = Field(description="Local clock hours with at least one of these scans.")
    scans_per_hour: float | None = Field(description="scans / active_hours; null with none.")
    duplicates: ShareOut = Field(description="Scans that repeated the parcel's status, of its scans.")
    late: ShareOut = Field(description="Scans sent after a scan of the same parcel that happened later.")


class FacilityActivityOut(ActivityOut):
    facility: str


class DeviceActivityOut(ActivityOut):
    device: str = Field(description="The scanner key's name ('-': scans recorded without one).")


class ScanActivityOut(Document):
    from_: date = Field(alias="from")
    to: date
    merchant: str | None
    facilities: list[FacilityActivityOut]
    devices: list[DeviceActivityOut]


# -- trends (GET /api/v1/analytics/trends) ---------------------------------------------------------------------


class TrendTransitOut(Document):
    parcels_counted: int = Field(description="Delivered in the point's days, dispatched at or before the delivery.")
    p50_hours: float | None = Field(description="Nearest-rank p50 of their hours dispatched -> delivered.")
    p50_days: float | None = Field(description="The same in delivery days (the destination's calendar).")
    parcels: str = Field(description="GET this for exactly the parcels counted.")


class TrendPointOut(Document):
    from_: date = Field(alias="from", description="The point's first local date.")
    to: date = Field(description="Its last (a week: Sunday, or the period's end).")
    label: str = Field(description="The day (2026-11-02) or the ISO week (2026-W45).")
    on_time_vs_promise: RateOut = Field(description="Delivered in these days by the promised date, of those with one.")
    first_attempt: RateOut = Field(description="Delivered in these days with no failed attempt before.")
    exceptions: RateOut = Field(description="Dispatched in these days with at least one exception.")
    transit_from_dispatch: TrendTransitOut


class TrendsOut(Document):
    from_: date = Field(alias="from")
    to: date
    as_of: date = Field(description="The day the figures were judged on (UTC).")
    merchant: str | None
    interval: str = Field(description="day or week (ISO weeks, Monday to Sunday, clipped to the period).")
    points: list[TrendPointOut] = Field(description="Every day or week of the period in order, counted or not.")
