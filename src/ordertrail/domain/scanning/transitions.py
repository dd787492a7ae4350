"""Which status may follow which: the transition rules as data, and the one function that reads them."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Final

from ordertrail.domain.scanning.status import MAIN_MILESTONES, TERMINAL, Status

S = Status

# Position along the main milestones; side statuses have none.
RANK: Final[dict[Status, int]] = {status: rank for rank, status in enumerate(MAIN_MILESTONES)}


def _after(status: Status) -> frozenset[Status]:
    return frozenset(MAIN_MILESTONES[RANK[status] + 1 :])


# Where a parcel held up on its way (a failed attempt, a problem) may go next: back on its way, or held up again.
_ONWARD: Final = frozenset(
    {
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
        S.DELIVERED,
        S.DELIVERY_ATTEMPTED,
        S.AVAILABLE_FOR_PICKUP,
        S.EXCEPTION,
        S.RETURNING,
    }
)

# status -> the statuses a later event may move it to.
TRANSITIONS: Final[dict[Status, frozenset[Status]]] = {
    S.ORDER_PLACED: _after(S.ORDER_PLACED) | {S.EXCEPTION, S.CANCELLED},
    S.PROCESSING: _after(S.PROCESSING) | {S.EXCEPTION, S.CANCELLED},
    S.PACKED: _after(S.PACKED) | {S.EXCEPTION, S.CANCELLED},
    S.DISPATCHED: _after(S.DISPATCHED) | {S.DELIVERY_ATTEMPTED, S.AVAILABLE_FOR_PICKUP, S.EXCEPTION, S.RETURNING},
    S.IN_TRANSIT: _after(S.IN_TRANSIT)
    | {S.IN_TRANSIT, S.DELIVERY_ATTEMPTED, S.AVAILABLE_FOR_PICKUP, S.EXCEPTION, S.RETURNING},
    S.OUT_FOR_DELIVERY: frozenset(
        {S.DELIVERED, S.DELIVERY_ATTEMPTED, S.AVAILABLE_FOR_PICKUP, S.EXCEPTION, S.RETURNING}
    ),
    S.DELIVERY_ATTEMPTED: _ONWARD,
    S.AVAILABLE_FOR_PICKUP: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION, S.RETURNING}),
    # A resolved problem may also put the parcel back before dispatch, or end its journey.
    S.EXCEPTION: _ONWARD | {S.PROCESSING, S.PACKED, S.DISPATCHED, S.RETURNED, S.CANCELLED},
    S.RETURNING: frozenset({S.RETURNING, S.RETURNED, S.EXCEPTION}),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Moves back along the main milestones that are nevertheless real: a parcel goes back to a hub after a
# failed attempt or once a problem is resolved, and back out for delivery from a pickup point.
RETURN_PATHS: Final[frozenset[tuple[Status, Status]]] = frozenset(
    {
        (S.DELIVERY_ATTEMPTED, S.IN_TRANSIT),
        (S.EXCEPTION, S.IN_TRANSIT),
        (S.EXCEPTION, S.OUT_FOR_DELIVERY),
        (S.AVAILABLE_FOR_PICKUP, S.OUT_FOR_DELIVERY),
    }
)


class Effect(StrEnum):
    """What an event did to its parcel's status when the events are replayed in ``occurred_at`` order."""

    APPLIED = "applied"  # moved the status, or repeated a step that may repeat (another hub)
    REPEAT = "repeat"  # the parcel already had this status
    REGRESSIVE = "regressive"  # behind the furthest main milestone reached; kept, but no move back
    NOT_ALLOWED = "not_allowed"  # no rule leads there from the status at that time
    AFTER_TERMINAL = "after_terminal"  # the parcel was already delivered, returned or cancelled
    VOIDED = "voided"  # a correction event voided it
    CORRECTION = "correction"  # it is itself a correction


@cache  # a pure function of a few hundred possible arguments, called for every event of every replay
def judge(current: Status, furthest_rank: int, new: Status) -> Effect:
    """Decide what an event of status ``new`` does to a parcel at ``current``.

    ``furthest_rank`` is the rank of the furthest main milestone the parcel has reached.
    """
    if current in TERMINAL:
        return Effect.AFTER_TERMINAL
    allowed = TRANSITIONS[current]
    if new == current and new not in allowed:
        return Effect.REPEAT
    rank = RANK.get(new)
    if rank is not None and rank < furthest_rank and (current, new) not in RETURN_PATHS:
        return Effect.REGRESSIVE
    if new not in allowed:
        return Effect.NOT_ALLOWED
    return Effect.APPLIED
