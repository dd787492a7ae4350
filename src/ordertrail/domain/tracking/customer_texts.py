"""What customers are told when a parcel is held up: what happened and what happens next, as plain data.

Keyed by reason code (``status.EXCEPTION_REASONS`` and ``status.ATTEMPT_REASONS``); statuses that need a word
without a reason (ready for pickup, returning...) have one too. Every reason code must have a text: a unit test
checks the tables stay complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ordertrail.domain.scanning.status import Status


@dataclass(frozen=True, slots=True)
class Notice:
    """A short explanation for customers."""

    happened: str
    next: str


EXCEPTION_TEXTS: Final[dict[str, Notice]] = {
    "damaged": Notice(
        "Your parcel was damaged on its way.",
        "The carrier is assessing it and will repair, resend or refund it; we will update this page.",
    ),
    "lost": Notice(
        "Your parcel cannot be found at the moment.",
        "The carrier is searching for it. If it is not found, the sender will resend or refund it.",
    ),
    "misrouted": Notice("Your parcel was sent to the wrong place.", "It is being redirected; expect a short delay."),
    "missed_connection": Notice(
        "Your parcel missed its connection.", "It will travel on the next one; expect a short delay."
    ),
    "vehicle_breakdown": Notice(
        "The vehicle carrying your parcel broke down.",
        "Your parcel will continue on another vehicle; expect a short delay.",
    ),
    "capacity_delay": Notice(
        "The carrier has more parcels than it can move today.",
        "Your parcel will move on as soon as there is room; expect a delay.",
    ),
    "label_unreadable": Notice(
        "Your parcel's label could not be read.", "The sender is replacing the label; then it continues."
    ),
    "missing_documents": Notice(
        "Your parcel is missing paperwork it needs to travel.", "The sender has been asked to provide it."
    ),
    "prohibited_item": Notice(
        "Your parcel contains something that cannot be shipped this way.",
        "The sender will contact you about what happens to your order.",
    ),
    "incomplete_address": Notice("The delivery address is incomplete.", "The sender will check the address with you."),
    "address_problem": Notice(
        "The driver could not find or reach the address.",
        "Please check your address with the sender; delivery will be tried again.",
    ),
    "refused": Notice("The parcel was refused at delivery.", "It will be returned to the sender."),
    "unpaid_duties": Notice(
        "Import duties or taxes are unpaid.", "Pay them when asked by the carrier, then the parcel continues."
    ),
    "customs_hold": Notice(
        "Your parcel is being held by customs.",
        "Customs usually release parcels within a few days; nothing is needed from you unless you are contacted.",
    ),
    "customs_inspection": Notice("Customs are inspecting your parcel.", "It continues once the inspection is done."),
    "weather": Notice(
        "Bad weather is stopping deliveries in the area.", "Your parcel continues as soon as it is safe."
    ),
    "natural_disaster": Notice(
        "A natural disaster has stopped deliveries in the area.", "Your parcel continues as soon as it is possible."
    ),
    "strike": Notice("A strike is holding up deliveries.", "Your parcel continues once work resumes."),
    "public_unrest": Notice("Local unrest is holding up deliveries.", "Your parcel continues as soon as it is safe."),
}

ATTEMPT_TEXTS: Final[dict[str, Notice]] = {
    "nobody_home": Notice(
        "The driver came, but nobody was home.", "Delivery will be tried again on the next working day."
    ),
    "address_problem": Notice(
        "The driver could not find the address.",
        "Please check your address with the sender; delivery will be tried again.",
    ),
    "refused": Notice("The parcel was refused at the door.", "It will be returned to the sender."),
    "access_problem": Notice(
        "The driver could not get into the building.",
        "Delivery will be tried again; leave access instructions with the sender if you can.",
    ),
    "business_closed": Notice(
        "The business was closed when the driver came.", "Delivery will be tried again on the next working day."
    ),
    "unsafe_location": Notice("The driver could not safely leave the parcel.", "Delivery will be tried again."),
    "payment_required": Notice("A payment was due at delivery.", "Have the payment ready for the next attempt."),
    "no_time": Notice("The driver ran out of time today.", "Delivery will be tried again on the next working day."),
}

STATUS_TEXTS: Final[dict[str, Notice]] = {
    Status.EXCEPTION: Notice(
        "There is a problem with your parcel.", "The carrier is working on it; we will update this page."
    ),
    Status.DELIVERY_ATTEMPTED: Notice("The driver tried to deliver your parcel.", "Delivery will be tried again."),
    Status.AVAILABLE_FOR_PICKUP: Notice(
        "Your parcel is waiting for you at a pickup point.", "Collect it with your tracking number and an ID."
    ),
    Status.RETURNING: Notice(
        "Your parcel is on its way back to the sender.", "The sender will contact you about a refund or a new delivery."
    ),
    Status.RETURNED: Notice(
        "Your parcel was returned to the sender.", "The sender will contact you about a refund or a new delivery."
    ),
    Status.CANCELLED: Notice(
        "This parcel was cancelled.", "It will not be delivered. Contact the sender if that is unexpected."
    ),
}


def notice_for(status: str, reason: str | None) -> Notice | None:
    """What to tell the customer about a parcel now at ``status`` (the reason from its latest applied event)."""
    if status == Status.EXCEPTION and reason in EXCEPTION_TEXTS:
        return EXCEPTION_TEXTS[reason]
    if status == Status.DELIVERY_ATTEMPTED and reason in ATTEMPT_TEXTS:
        return ATTEMPT_TEXTS[reason]
    return STATUS_TEXTS.get(status)
