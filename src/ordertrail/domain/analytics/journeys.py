"""What a parcel's events say about its journey, for the figures: when it was placed, dispatched and delivered,
whether it went out for delivery and failed first, which problems it met, its lane, how long each step and each
facility took (``spans``), and where it waits now.

The events are replayed as the parcel's status is (``derive``): a voided event and the correction that voided it
count for nothing, and "delivered" is the delivery that made the parcel delivered, so a parcel's figures never
disagree with its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from ordertrail.domain.analytics.spans import Span, dwell_spans, step_spans
from ordertrail.domain.estimating.calendar import DeliveryCalendar
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import TERMINAL, Status
from ordertrail.domain.scanning.stay import Stay, current_stay, scans_of
from ordertrail.domain.scanning.transitions import Effect


class Lane(NamedTuple):
    """Where a parcel started (the facility of its first scan at one; None: no scan named one) and the country it
    is going to."""

    origin: str | None
    country: str


@dataclass(frozen=True, slots=True)
class ParcelRecord:
    """A parcel as storage reads it for analytics: its order's facts and every event it has."""

    parcel_id: int
    merchant_id: int
    destination_country: str
    promised: date | None
    events: Sequence[ScanEvent]
    first_window: tuple[date, date] | None = None  # earliest, latest of its first recorded estimate
    service_level: str | None = None  # its current courier handover's (None: not handed over, or none given)


@dataclass(frozen=True, slots=True)
class Journey:
    """The facts the figures are computed from. Instants keep the offset of where they happened, so ``.date()``
    is the local date."""

    parcel_id: int
    merchant_id: int
    lane: Lane
    promised: date | None
    open: bool  # not delivered, returned or cancelled
    placed_at: datetime | None
    dispatched_at: datetime | None  # its first dispatched event
    delivered_at: datetime | None  # the event that delivered it
    went_out: bool  # out for delivery, or an attempt, before its delivery (or at all, while not delivered)
    attempted_before_delivery: bool
    exception_reasons: frozenset[str]
    attempt_reasons: frozenset[str]
    steps: Mapping[str, Span] = field(default_factory=dict)  # step (status value) -> the time it took
    dwells: Mapping[str, Span] = field(default_factory=dict)  # facility -> first scan there to next elsewhere
    stay: Stay | None = None  # where it waits now (open parcels whose latest scan names a facility)
    first_window: tuple[date, date] | None = None  # earliest, latest of the first estimate shown to the customer
    service_level: str | None = None  # of its current courier handover
    # Delivery days (the destination's calendar) from the local date of dispatch, or of the order's placing, to
    # the local date of delivery; None: not delivered, that start missing or dated after it, or no calendar given.
    days_from_dispatch: int | None = None
    days_from_order: int | None = None

    @property
    def delivered_on(self) -> date | None:
        return None if self.delivered_at is None else self.delivered_at.date()

    @property
    def dispatched_on(self) -> date | None:
        return None if self.dispatched_at is None else self.dispatched_at.date()


def delivery_days(start: datetime | None, end: datetime | None, calendar: DeliveryCalendar | None) -> int | None:
    """The delivery days after ``start``'s local date up to and including ``end``'s (each the date where it
    happened, as the periods read them); the calendar says which dates are delivery days. None when an end is
    missing or the start is dated after the end (as the hours)."""
    if start is None or end is None or calendar is None or start > end:
        return None
    return calendar.delivery_days_between(start.date(), end.date())


def journey_of(record: ParcelRecord, calendar: DeliveryCalendar | None = None) -> Journey:
    """The journey of one parcel from its events (any order, duplicates allowed). ``calendar``: its
    destination's delivery calendar, for the transit in delivery days (None: none counted)."""
    derivation = derive(record.events)
    counted = scans_of(derivation.timeline)  # voided events and corrections count for nothing
    delivery = next(
        (i for i, e in enumerate(counted) if e.event.status == Status.DELIVERED and e.effect is Effect.APPLIED), None
    )
    # Attempts and rounds out for delivery count only before the delivery (a scan after it changes nothing).
    before = counted if delivery is None else counted[:delivery]
    statuses_before = {entry.event.status for entry in before}

    def first(status: Status) -> datetime | None:
        return next((e.event.occurred_at for e in counted if e.event.status == status), None)

    origin = next((e.event.location.facility for e in counted if e.event.location.facility), None)
    placed_at, dispatched_at = first(Status.ORDER_PLACED), first(Status.DISPATCHED)
    delivered_at = None if delivery is None else counted[delivery].event.occurred_at
    return Journey(
        parcel_id=record.parcel_id,
        merchant_id=record.merchant_id,
        lane=Lane(origin, record.destination_country),
        promised=record.promised,
        open=derivation.status not in TERMINAL,
        placed_at=placed_at,
        dispatched_at=dispatched_at,
        delivered_at=delivered_at,
        went_out=bool(statuses_before & {Status.OUT_FOR_DELIVERY, Status.DELIVERY_ATTEMPTED}),
        attempted_before_delivery=Status.DELIVERY_ATTEMPTED in statuses_before,
        exception_reasons=frozenset(
            e.event.reason for e in counted if e.event.status == Status.EXCEPTION and e.event.reason
        ),
        attempt_reasons=frozenset(
            e.event.reason for e in counted if e.event.status == Status.DELIVERY_ATTEMPTED and e.event.reason
        ),
        steps=step_spans(derivation.timeline),
        dwells=dwell_spans(counted),
        stay=current_stay(counted) if derivation.status not in TERMINAL else None,
        first_window=record.first_window,
        service_level=record.service_level,
        days_from_dispatch=delivery_days(dispatched_at, delivered_at, calendar),
        days_from_order=delivery_days(placed_at, delivered_at, calendar),
    )
