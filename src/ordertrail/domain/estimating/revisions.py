"""Estimate revisions and delays: why an estimate changed, what was promised, and when a parcel is late.

Pure: the service layer feeds in the old and new windows and the parcel's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Final, NamedTuple

from ordertrail.domain.scanning.status import Status

STALL_QUANTILE: Final = 0.95  # a parcel is stalled after a longer wait than 95% of its lane's parcels had


class Reason(StrEnum):
    """Why a parcel's estimate changed."""

    SCAN = "scan"  # a scan moved the parcel on as expected (or earlier)
    MISSED_STEP = "missed_step"  # a step came later than the last estimate assumed
    EXCEPTION = "exception"  # a problem scan
    FAILED_ATTEMPT = "failed_attempt"  # a delivery attempt failed
    STALLED = "stalled"  # no scan for longer than the lane's usual wait
    HANDOVER = "handover"  # handed to a courier: the lane now includes the courier and its service level


@dataclass(frozen=True, slots=True)
class Window:
    """The dates of an estimate: all that decides whether it changed."""

    earliest: date
    latest: date


def scan_reason(status: str, before: Window | None, after: Window) -> Reason:
    """The reason of a revision caused by a scan that left the parcel in ``status``."""
    if status == Status.EXCEPTION:
        return Reason.EXCEPTION
    if status == Status.DELIVERY_ATTEMPTED:
        return Reason.FAILED_ATTEMPT
    if before is not None and (after.earliest > before.earliest or after.latest > before.latest):
        return Reason.MISSED_STEP
    return Reason.SCAN


def promise_of(promised_delivery_date: date | None, first: Window) -> date:
    """What the customer was promised: the order's date, else the latest date of the first estimate given."""
    return promised_delivery_date if promised_delivery_date is not None else first.latest


def is_delayed(window: Window, promise: date) -> bool:
    """Late: even the earliest date the parcel can now arrive is after the promise."""
    return window.earliest > promise


def stall_wait(wait_hours: float | None, default: timedelta) -> timedelta:
    """How long a parcel may go without a scan before it counts as stalled: the lane's p95 wait for its step
    (never under an hour), else ``default``."""
    if wait_hours is None:
        return default
    return max(timedelta(hours=wait_hours), timedelta(hours=1))


def stall_after(last_scan_at: datetime, wait_hours: float | None, default: timedelta) -> datetime:
    """When a parcel without another scan counts as stalled."""
    return last_scan_at + stall_wait(wait_hours, default)


DELAY_TEXTS: Final[dict[str, str]] = {
    Reason.SCAN: "Your parcel is running later than first expected.",
    Reason.MISSED_STEP: "Your parcel is running late: it reached its last stop later than planned.",
    Reason.EXCEPTION: "Your parcel is running late because of a problem on the way.",
    Reason.FAILED_ATTEMPT: "Your parcel is running late because a delivery attempt failed.",
    Reason.STALLED: "Your parcel is running late: it has not been scanned for longer than usual.",
    Reason.HANDOVER: "Your parcel is running later than first expected: its courier usually takes longer.",
}


def delay_text(reason: str) -> str:
    """The delay overlay in plain words."""
    return DELAY_TEXTS.get(reason, DELAY_TEXTS[Reason.SCAN])


@lru_cache(maxsize=4096)  # a few hundred distinct windows are live at any time; strftime is slow
def window_text(earliest: date, latest: date) -> str:
    """A window in plain words: ``Mon 9 Mar``, ``Mon 9 – Tue 10 Mar``, ``Fri 30 Jan – Mon 2 Feb``."""

    def day(d: date, month: bool) -> str:
        return f"{d:%a} {d.day}" + (f" {d:%b}" if month else "")

    if earliest == latest:
        return day(earliest, True)
    return f"{day(earliest, earliest.month != latest.month)} – {day(latest, True)}"


class Revision(NamedTuple):
    """One change of a parcel's estimate."""

    parcel_id: int
    earliest: date
    latest: date
    likely: date
    confidence: float
    basis: str
    step: str
    reason: str
    delayed: bool
    created_at: datetime
