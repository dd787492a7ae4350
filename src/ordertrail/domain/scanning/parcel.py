"""A parcel's status projection, and the one way events are applied to it.

``ParcelState`` is what replaying a parcel's events leaves behind, kept on its row and updated in the same
transaction as each new event. ``ParcelLog`` applies new events to it: an event that happened after all the
others moves the state directly (``ParcelState.advance``, the common case on ingest); anything else (an
out-of-order event, a correction) replays every event with ``derive``. Scan recording and order placement both
append through ``ParcelLog``, so a parcel's first event is recorded exactly like every later one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from ordertrail.domain.scanning.derivation import Derivation, TimelineEntry, derive
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import CORRECTION, STATUS_BY_VALUE, Status
from ordertrail.domain.scanning.stay import Stay, Visit, current_stay, ended_visit, first_visits, scans_of, stay_after
from ordertrail.domain.scanning.transitions import RANK, Effect, judge


class ParcelState(NamedTuple):
    """A parcel's status projection. (A named tuple: one is made for every scan.)"""

    status: Status
    substatus: str | None
    furthest_rank: int  # the rank of the furthest main milestone reached (0: placed)
    last_sequence: int  # the sequence number of its newest event (0: none yet)
    status_version: int  # bumped whenever status or substatus changes
    status_changed_at: datetime  # when the event that set the current status happened
    last_event_at: datetime  # the latest occurred_at of any of its events, applied or not
    # Where it waits now (domain/scanning/stay.py): the facility of its latest scan and since when; None when
    # that scan named no facility (whatever the status: the dwelling queue leaves finished parcels out itself).
    stay: Stay | None = None

    @classmethod
    def unborn(cls, placed_at: datetime) -> ParcelState:
        """A parcel before its first event (``order_placed``, at ``placed_at``) is recorded."""
        return cls(Status.ORDER_PLACED, None, 0, 0, 0, placed_at, placed_at)

    def advance(self, event: ScanEvent) -> tuple[ParcelState, Effect] | None:
        """Apply an event that happened after every event the parcel has; None if it did not (replay all).

        Equal to ``derive`` over all events plus this one, without reading them. ``event.sequence`` is its new
        ``last_sequence``.
        """
        if self.last_sequence == 0:  # the first event of every parcel is its order_placed
            if event.status != Status.ORDER_PLACED:
                return None
            return self._moved(Status.ORDER_PLACED, event, 0), Effect.APPLIED
        if event.status == CORRECTION or event.occurred_at <= self.last_event_at:
            return None
        new = STATUS_BY_VALUE[event.status]
        effect = judge(self.status, self.furthest_rank, new)
        if effect is not Effect.APPLIED:  # a repeat or a step back still saw the parcel where it was scanned
            moved = self._replace(
                last_sequence=event.sequence, last_event_at=event.occurred_at, stay=stay_after(self.stay, event)
            )
            return moved, effect
        return self._moved(new, event, max(self.furthest_rank, RANK.get(new, self.furthest_rank))), effect

    def _moved(self, status: Status, event: ScanEvent, furthest_rank: int) -> ParcelState:
        changed = status != self.status or event.substatus != self.substatus
        return ParcelState(
            status,
            event.substatus,
            furthest_rank,
            event.sequence,
            self.status_version + int(changed),
            event.occurred_at,
            event.occurred_at,
            stay_after(self.stay, event),
        )

    def replayed(self, derivation: Derivation, last_sequence: int) -> ParcelState:
        """The state a full replay gives, following on from this one (its version bumped if the status moved)."""
        latest = max(e.event.occurred_at for e in derivation.timeline if e.effect is not Effect.CORRECTION)
        applied = derivation.last_applied
        changed = derivation.status != self.status or derivation.substatus != self.substatus
        return ParcelState(
            derivation.status,
            derivation.substatus,
            derivation.furthest_rank,
            last_sequence,
            self.status_version + int(changed),
            applied.occurred_at if applied is not None else latest,
            latest,
            current_stay(scans_of(derivation.timeline)),
        )


class Appended(NamedTuple):
    """What appending one event did: its effect, whether it arrived late, and the state just before it."""

    effect: Effect
    late: bool
    before: ParcelState


class ParcelLog:
    """One parcel while a transaction appends events to it.

    ``stored`` reads the parcel's stored events; it is called at most once, and only when an event needs a
    replay (out of order, a correction) or an earlier event is looked up (``replay``).
    """

    __slots__ = ("_derivation", "_events", "_stored", "ended_visits", "new_events", "state")

    def __init__(self, state: ParcelState, stored: Callable[[], Sequence[ScanEvent]]) -> None:
        self.state = state
        self.new_events: list[ScanEvent] = []
        # Visits the in-order events ended (``ended_visit``); once the log is replayed, ``visits`` has them all.
        self.ended_visits: list[Visit] = []
        self._stored = stored
        self._events: list[ScanEvent] | None = None  # stored + new, once read
        self._derivation: Derivation | None = None

    @property
    def next_sequence(self) -> int:
        """The sequence number of the next event appended."""
        return self.state.last_sequence + 1

    @property
    def replayed(self) -> bool:
        """Whether the stored events were read (a replay, or a retry's lookup): ``visits`` is then at hand."""
        return self._events is not None

    def visits(self) -> list[Visit]:
        """Every first visit to a facility the parcel has left, from a replay of all its events."""
        return first_visits(scans_of(self.replay().timeline))

    def replay(self) -> Derivation:
        """Derive from every event, stored and new."""
        if self._events is None:
            self._events = [*self._stored(), *self.new_events]
        if self._derivation is None:
            self._derivation = derive(self._events)
        return self._derivation

    def entry(self, event_id: str) -> TimelineEntry | None:
        """The timeline entry of an event of this parcel (stored or new), after a replay."""
        return next((e for e in self.replay().timeline if e.event.event_id == event_id), None)

    def append(self, event: ScanEvent) -> Appended:
        """Add a new event (its ``sequence`` is ``next_sequence``); returns what it did."""
        before = self.state
        self.new_events.append(event)
        if self._events is not None:
            self._events.append(event)
        self._derivation = None
        advanced = before.advance(event)
        if advanced is not None:
            self.state, effect = advanced
            if (visit := ended_visit(before.stay, self.state.stay, event)) is not None:
                self.ended_visits.append(visit)
            return Appended(effect, False, before)
        self.state = before.replayed(self.replay(), event.sequence)
        entry = self.entry(event.event_id)
        assert entry is not None
        return Appended(entry.effect, entry.late, before)
