"""Handover reconciliation: when a parcel handed to a courier counts as not picked up, and which courier events
are dated before the parcel left (pure; the periodic pass is ``services/couriers/reconciliation.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

# The window where a lane has too little history of its dispatched step (docs/couriers.md, "Reconciliation").
PICKUP_DEFAULT: Final = timedelta(hours=24)
PICKUP_STEP: Final = "dispatched"  # the lane statistics' step whose usual wait is the window


def pickup_window(wait_hours: float | None, default: timedelta = PICKUP_DEFAULT) -> timedelta:
    """How long a dispatched parcel may wait for its courier's first event: the lane's p95 wait in the dispatched
    step (never under an hour), else ``default``."""
    if wait_hours is None:
        return default
    return max(timedelta(hours=wait_hours), timedelta(hours=1))


def pickup_due(*, dispatched_at: datetime, handed_over_at: datetime, window: timedelta) -> datetime:
    """When a parcel with no courier event counts as not picked up: the window runs from the later of its
    dispatch scan and its handover (a parcel handed over days after dispatch gets the whole window)."""
    return max(dispatched_at, handed_over_at) + window


def before_dispatch(occurred_at: datetime, dispatched_at: datetime | None) -> bool:
    """A courier event dated before the parcel's dispatch scan (the courier's clock, or the wrong parcel)."""
    return dispatched_at is not None and occurred_at < dispatched_at


def early_mark(first_event_at: datetime | None, dispatched_at: datetime | None) -> datetime | None:
    """A handover's early mark, from its courier's earliest event on the parcel and the parcel's dispatch time:
    that event's time when it is before dispatch, else none (if any of its events is, the earliest is)."""
    if first_event_at is None or not before_dispatch(first_event_at, dispatched_at):
        return None
    return first_event_at
