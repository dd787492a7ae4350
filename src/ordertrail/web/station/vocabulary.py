"""What the station offers: its modes (the status each records), their usual previous steps, reason labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from ordertrail.domain.scanning.status import STATUS_LABELS, Status

S = Status
Policy = Literal["warn", "block"]


@dataclass(frozen=True, slots=True)
class Mode:
    """A station mode: scans record ``status`` (and ``substatus``)."""

    id: str
    status: Status
    label: str
    done: str  # the banner headline after a good scan
    usual_after: frozenset[Status]  # the parcel's status before a scan in the usual course of things
    policy: Policy = "warn"  # default for an unusual step; each device may change it
    substatus: str | None = None
    repeats: bool = False  # the same status again is normal (another hub), not a duplicate
    needs: Literal["reason", "proof"] | None = None


_PROBLEM = frozenset({S.EXCEPTION})
MODES: Final[tuple[Mode, ...]] = (
    Mode("processing", S.PROCESSING, "Processing", "PROCESSING", frozenset({S.ORDER_PLACED}) | _PROBLEM),
    Mode("packed", S.PACKED, "Packed", "PACKED", frozenset({S.ORDER_PLACED, S.PROCESSING}) | _PROBLEM),
    Mode("dispatched", S.DISPATCHED, "Dispatched", "DISPATCHED", frozenset({S.PACKED}) | _PROBLEM),
    Mode(
        "hub",
        S.IN_TRANSIT,
        "In transit at a hub",
        "AT HUB",
        frozenset({S.DISPATCHED, S.IN_TRANSIT, S.DELIVERY_ATTEMPTED}) | _PROBLEM,
        substatus="in_transit.arrived_at_hub",
        repeats=True,
    ),
    Mode(
        "out_for_delivery",
        S.OUT_FOR_DELIVERY,
        "Out for delivery",
        "OUT FOR DELIVERY",
        frozenset({S.IN_TRANSIT, S.DELIVERY_ATTEMPTED, S.AVAILABLE_FOR_PICKUP}) | _PROBLEM,
    ),
    Mode(
        "delivered",
        S.DELIVERED,
        "Delivered",
        "DELIVERED",
        frozenset({S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED, S.AVAILABLE_FOR_PICKUP}),
        policy="block",
        needs="proof",
    ),
    Mode(
        "attempted",
        S.DELIVERY_ATTEMPTED,
        "Failed attempt",
        "FAILED ATTEMPT",
        frozenset({S.OUT_FOR_DELIVERY, S.DELIVERY_ATTEMPTED}),
        repeats=True,
        needs="reason",
    ),
    Mode(
        "exception",
        S.EXCEPTION,
        "Exception",
        "EXCEPTION",
        frozenset(Status) - {S.DELIVERED, S.RETURNED, S.CANCELLED},
        repeats=True,
        needs="reason",
    ),
)

ATTEMPT_REASON_LABELS: Final[dict[str, str]] = {
    "nobody_home": "Nobody home",
    "address_problem": "Address problem",
    "refused": "Refused by recipient",
    "access_problem": "No access (gate, door code)",
    "business_closed": "Business closed",
    "unsafe_location": "Unsafe to leave",
    "payment_required": "Payment required",
    "no_time": "Ran out of time",
}

EXCEPTION_REASON_LABELS: Final[dict[str, str]] = {
    "damaged": "Damaged",
    "lost": "Lost",
    "misrouted": "Misrouted",
    "missed_connection": "Missed connection",
    "vehicle_breakdown": "Vehicle breakdown",
    "capacity_delay": "Capacity delay",
    "label_unreadable": "Label unreadable",
    "missing_documents": "Missing documents",
    "prohibited_item": "Prohibited item",
    "incomplete_address": "Incomplete address",
    "address_problem": "Address problem",
    "refused": "Refused",
    "unpaid_duties": "Unpaid duties",
    "customs_hold": "Held by customs",
    "customs_inspection": "Customs inspection",
    "weather": "Weather",
    "natural_disaster": "Natural disaster",
    "strike": "Strike",
    "public_unrest": "Public unrest",
}


def station_config() -> dict[str, Any]:
    """Everything the page's script needs to know, embedded in the page as JSON."""
    return {
        "modes": [
            {
                "id": mode.id,
                "status": mode.status.value,
                "substatus": mode.substatus,
                "label": mode.label,
                "done": mode.done,
                "usual_after": sorted(status.value for status in mode.usual_after),
                "policy": mode.policy,
                "repeats": mode.repeats,
                "needs": mode.needs,
            }
            for mode in MODES
        ],
        "reasons": {
            S.DELIVERY_ATTEMPTED.value: [{"code": c, "label": t} for c, t in ATTEMPT_REASON_LABELS.items()],
            S.EXCEPTION.value: [{"code": c, "label": t} for c, t in EXCEPTION_REASON_LABELS.items()],
        },
        "status_labels": dict(STATUS_LABELS),
    }
