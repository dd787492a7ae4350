"""The notification policy: which parcel changes notify whom. Pure: changes and preferences in, notices out.

Defaults: the customer hears about the order being placed (one confirmation per order, with every tracking
link), dispatch, out for delivery, delivery, a failed attempt and an exception; the merchant's webhook
endpoints hear about every status change. Late, duplicate and regressive events notify no one: the parcel's
status did not move (or moved only in the past), so there is nothing new to tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect

DEFAULT_CUSTOMER_STATUSES: Final = frozenset(
    {
        Status.ORDER_PLACED,
        Status.DISPATCHED,
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
        Status.DELIVERY_ATTEMPTED,
        Status.EXCEPTION,
    }
)

# Webhook event types: one per status a parcel can reach, corrections that moved the status, and the
# estimate overlays (delayed, back on schedule, stalled).
CORRECTED_EVENT: Final = "parcel.corrected"
DELAYED_EVENT: Final = "parcel.delayed"
DELAY_CLEARED_EVENT: Final = "parcel.delay_cleared"
STALLED_EVENT: Final = "parcel.stalled"
# Handed to a courier that sent no event within the lane's usual window (docs/couriers.md, "Reconciliation").
NOT_PICKED_UP_EVENT: Final = "parcel.not_picked_up"
# Sent only when asked for (POST …/webhook-endpoints/{id}/test), to that one endpoint whatever it subscribes to:
# so not a type anyone subscribes to, and not in EVENT_TYPES.
TEST_EVENT: Final = "webhook.test"
# The email of a message staff wrote to the customer (domain/notifying/messages.py): one kind, its own template.
MESSAGE_EMAIL: Final = "message"
EVENT_TYPES: Final[tuple[str, ...]] = (
    *(f"parcel.{status.value}" for status in Status),
    CORRECTED_EVENT,
    DELAYED_EVENT,
    DELAY_CLEARED_EVENT,
    STALLED_EVENT,
    NOT_PICKED_UP_EVENT,
)


def event_type(status: str) -> str:
    """The webhook event type of a parcel reaching ``status``, e.g. ``parcel.dispatched``."""
    return f"parcel.{status}"


class Channel(StrEnum):
    """How a notice is delivered."""

    EMAIL = "email"  # to the order's customer
    WEBHOOK = "webhook"  # to each of the merchant's endpoints that subscribe to the event type


@dataclass(frozen=True, slots=True)
class Preferences:
    """A merchant's notification settings (defaults when the merchant has saved none)."""

    customer_statuses: frozenset[Status] = DEFAULT_CUSTOMER_STATUSES
    webhooks: bool = True


DEFAULT_PREFERENCES: Final = Preferences()


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell: a channel, the event type, and the change it is about."""

    channel: Channel
    event_type: str
    change: ParcelChange
    # For the order confirmation email: every parcel of the order (a single email lists them all).
    order_changes: tuple[ParcelChange, ...] = field(default=())


def is_order_placed(change: ParcelChange) -> bool:
    """The first event of a new parcel (its order was just placed)."""
    return change.event.status == Status.ORDER_PLACED and change.status_version == 0


def notifies(change: ParcelChange) -> bool:
    """Whether a change is news at all: a live event that moved the parcel's current status."""
    if change.late:
        return False
    if is_order_placed(change):
        return True
    if change.effect is Effect.CORRECTION:
        return change.status_changed
    return change.effect is Effect.APPLIED and change.status_changed


def plan(changes: Sequence[ParcelChange], preferences: dict[int, Preferences]) -> list[Notice]:
    """The notices a committed batch of changes calls for, in the order of the changes."""
    notices: list[Notice] = []
    confirmations: dict[int, list[ParcelChange]] = {}
    for change in changes:
        if not notifies(change):
            continue
        prefs = preferences.get(change.merchant_id, DEFAULT_PREFERENCES)
        corrected = change.effect is Effect.CORRECTION
        if prefs.webhooks:
            kind = CORRECTED_EVENT if corrected else event_type(change.status)
            notices.append(Notice(Channel.WEBHOOK, kind, change))
        if corrected or Status(change.status) not in prefs.customer_statuses:
            continue  # customers are not told about corrections: the tracking page shows the truth
        if is_order_placed(change):
            if change.order_id not in confirmations:
                confirmations[change.order_id] = []
                notices.append(Notice(Channel.EMAIL, event_type(change.status), change))
            confirmations[change.order_id].append(change)
        else:
            notices.append(Notice(Channel.EMAIL, event_type(change.status), change))
    return [
        Notice(n.channel, n.event_type, n.change, tuple(confirmations[n.change.order_id]))
        if n.channel is Channel.EMAIL and is_order_placed(n.change)
        else n
        for n in notices
    ]


def subscribed(event: str, filter_types: Iterable[str]) -> bool:
    """Whether an endpoint with the event-type filter ``filter_types`` (empty: everything) wants ``event``."""
    wanted = frozenset(filter_types)
    return not wanted or event in wanted


# -- delays and stalled parcels ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DelayChange:
    """A parcel's delay overlay came on (``delayed``) or went off, with the estimate that caused it."""

    parcel_id: int
    order_id: int
    merchant_id: int
    tracking_number: str
    delayed: bool
    reason: str
    earliest: date
    latest: date
    promise: date


@dataclass(frozen=True, slots=True)
class DelayNotice:
    """One thing to tell about a delay: a webhook per parcel, an email per order."""

    channel: Channel
    event_type: str
    change: DelayChange


def plan_delays(
    changes: Sequence[DelayChange],
    delayed_before: dict[int, int],
    preferences: dict[int, Preferences],
) -> list[DelayNotice]:
    """Notices for delay overlays coming on or off, given how many parcels of each order were delayed before.

    The merchant hears about every parcel (``parcel.delayed`` / ``parcel.delay_cleared``). The customer hears
    once per order: when its first parcel slips, and when its last delayed parcel is back on schedule; several
    parcels slipping together are one email. Merchants who turned every customer email off send none of these.
    """
    notices: list[DelayNotice] = []
    delayed = dict(delayed_before)
    for change in changes:
        prefs = preferences.get(change.merchant_id, DEFAULT_PREFERENCES)
        kind = DELAYED_EVENT if change.delayed else DELAY_CLEARED_EVENT
        if prefs.webhooks:
            notices.append(DelayNotice(Channel.WEBHOOK, kind, change))
        before = delayed.get(change.order_id, 0)
        after = max(before + (1 if change.delayed else -1), 0)
        delayed[change.order_id] = after
        if prefs.customer_statuses and (before == 0) != (after == 0):
            notices.append(DelayNotice(Channel.EMAIL, kind, change))
    return notices


def plan_stalls(merchant_ids: Sequence[int], preferences: dict[int, Preferences]) -> list[bool]:
    """For each newly stalled parcel (by its merchant): whether its merchant gets the webhook (customers don't)."""
    return [preferences.get(m, DEFAULT_PREFERENCES).webhooks for m in merchant_ids]
