"""When a parcel may be cancelled: until it leaves the merchant's hands, by the transition rules themselves.

A cancellation is an event (``cancelled``) on the parcel's timeline like any scan, so the rule is the one the
replay applies: ``cancelled`` must be a status the parcel's current one may move to.
"""

from __future__ import annotations

from ordertrail.domain import inputs
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import TRANSITIONS

REASON_MAX = 500  # the length of an event's note, where the reason is kept


def cancel_refusal(status: Status) -> str | None:
    """Why a parcel at ``status`` cannot be cancelled; None when it can, or already is (a retry changes nothing)."""
    if status is Status.CANCELLED or Status.CANCELLED in TRANSITIONS[status]:
        return None
    shown = status.value.replace("_", " ")
    return f"it is {shown}, and a parcel can be cancelled only before it is dispatched (or while an exception holds it)"


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` is not a cancellation reason (it is required: the audit log says why, not only who)."""
    if not reason.strip():
        return "say why: a reason is required"
    if len(reason) > REASON_MAX:
        return f"at most {REASON_MAX} characters"
    return inputs.text_problem(reason, multiline=True)
