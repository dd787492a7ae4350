"""The status vocabulary of a parcel, its plain-words labels, and the reason codes that explain problems."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


class Status(StrEnum):
    """A parcel milestone. The main path runs from ``order_placed`` to ``delivered``."""

    ORDER_PLACED = "order_placed"
    PROCESSING = "processing"
    PACKED = "packed"
    DISPATCHED = "dispatched"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_ATTEMPTED = "delivery_attempted"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    EXCEPTION = "exception"
    RETURNING = "returning"
    RETURNED = "returned"
    CANCELLED = "cancelled"


# Each status by its value: replays look statuses up per event, and calling ``Status(value)`` costs ten times more.
STATUS_BY_VALUE: Final[dict[str, Status]] = {status.value: status for status in Status}

# A correction is an event, not a status: it voids an earlier event of the same parcel.
CORRECTION: Final = "correction"
EventStatus = Status | Literal["correction"]

MAIN_MILESTONES: Final[tuple[Status, ...]] = (
    Status.ORDER_PLACED,
    Status.PROCESSING,
    Status.PACKED,
    Status.DISPATCHED,
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
    Status.DELIVERED,
)

TERMINAL: Final = frozenset({Status.DELIVERED, Status.RETURNED, Status.CANCELLED})

# Statuses whose scan needs a reason code.
REASON_REQUIRED: Final = frozenset({Status.EXCEPTION, Status.DELIVERY_ATTEMPTED})

STATUS_LABELS: Final[dict[str, str]] = {
    Status.ORDER_PLACED: "Order placed",
    Status.PROCESSING: "Being prepared",
    Status.PACKED: "Packed",
    Status.DISPATCHED: "Dispatched",
    Status.IN_TRANSIT: "In transit",
    Status.OUT_FOR_DELIVERY: "Out for delivery",
    Status.DELIVERED: "Delivered",
    Status.DELIVERY_ATTEMPTED: "Delivery attempted",
    Status.AVAILABLE_FOR_PICKUP: "Ready for pickup",
    Status.EXCEPTION: "Problem with delivery",
    Status.RETURNING: "Returning to sender",
    Status.RETURNED: "Returned to sender",
    Status.CANCELLED: "Cancelled",
    CORRECTION: "Correction",
}


class Party(StrEnum):
    """Who must act to resolve an exception."""

    CARRIER = "carrier"
    MERCHANT = "merchant"
    RECIPIENT = "recipient"
    CUSTOMS = "customs"
    FORCE_MAJEURE = "force_majeure"


# Exception reason code -> who must act.
EXCEPTION_REASONS: Final[dict[str, Party]] = {
    "damaged": Party.CARRIER,
    "lost": Party.CARRIER,
    "misrouted": Party.CARRIER,
    "missed_connection": Party.CARRIER,
    "vehicle_breakdown": Party.CARRIER,
    "capacity_delay": Party.CARRIER,
    "label_unreadable": Party.MERCHANT,
    "missing_documents": Party.MERCHANT,
    "prohibited_item": Party.MERCHANT,
    "incomplete_address": Party.MERCHANT,
    "address_problem": Party.RECIPIENT,
    "refused": Party.RECIPIENT,
    "unpaid_duties": Party.RECIPIENT,
    "customs_hold": Party.CUSTOMS,
    "customs_inspection": Party.CUSTOMS,
    "weather": Party.FORCE_MAJEURE,
    "natural_disaster": Party.FORCE_MAJEURE,
    "strike": Party.FORCE_MAJEURE,
    "public_unrest": Party.FORCE_MAJEURE,
}


def responsible_party(reason: str) -> Party:
    """Who must act on an exception of ``reason``. Scans accept only the codes above; a code recorded before one
    was added here falls to the carrier, whose scan reported it (the console's overview and the analytics agree)."""
    return EXCEPTION_REASONS.get(reason, Party.CARRIER)


# Failed delivery attempt reason codes.
ATTEMPT_REASONS: Final = frozenset(
    {
        "nobody_home",
        "address_problem",
        "refused",
        "access_problem",
        "business_closed",
        "unsafe_location",
        "payment_required",
        "no_time",
    }
)


# The substatuses a scan may carry, by status: a finer step than the status, shown to merchants and in webhooks.
# A closed list, so a typo is refused rather than kept forever in the log.
SUBSTATUSES: Final[dict[Status, frozenset[str]]] = {
    status: frozenset(f"{status.value}.{name}" for name in names)
    for status, names in {
        Status.PROCESSING: ("awaiting_stock", "picking", "on_hold"),
        Status.PACKED: ("labelled", "awaiting_collection"),
        Status.DISPATCHED: ("handed_to_carrier", "collected"),
        Status.IN_TRANSIT: (
            "arrived_at_hub",
            "departed_hub",
            "at_sorting_center",
            "in_customs",
            "cleared_customs",
            "arrived_in_destination_country",
            "handed_to_partner_carrier",
        ),
        Status.OUT_FOR_DELIVERY: ("with_courier", "rescheduled"),
        Status.DELIVERED: ("to_recipient", "to_neighbour", "to_safe_place", "to_parcel_locker", "to_reception"),
        Status.DELIVERY_ATTEMPTED: ("will_retry", "card_left"),
        Status.AVAILABLE_FOR_PICKUP: ("at_pickup_point", "at_parcel_locker", "at_post_office", "at_depot"),
        Status.EXCEPTION: ("held", "investigating", "resolved"),
        Status.RETURNING: ("to_sender", "to_warehouse"),
        Status.RETURNED: ("to_sender", "to_warehouse"),
        Status.CANCELLED: ("by_merchant", "by_customer"),
    }.items()
}


def reasons_for(status: Status) -> frozenset[str]:
    """The reason codes a scan of ``status`` accepts (empty when it takes none)."""
    if status is Status.EXCEPTION:
        return frozenset(EXCEPTION_REASONS)
    if status is Status.DELIVERY_ATTEMPTED:
        return ATTEMPT_REASONS
    return frozenset()


def label(status: str) -> str:
    """The plain-words label of a status (or of a correction)."""
    return STATUS_LABELS[status]
