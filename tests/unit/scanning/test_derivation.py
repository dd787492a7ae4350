"""Status derivation: a pure function of the set of events, whatever their order or duplication."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.events import Location, ScanEvent
from ordertrail.domain.scanning.parcel import ParcelLog, ParcelState
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.stay import Visit, first_visits, scans_of
from ordertrail.domain.scanning.transitions import Effect

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
S = Status


def ev(
    status: str,
    hours: float,
    *,
    recorded_hours: float | None = None,
    sequence: int = 0,
    offset_hours: int = 0,
    voids: str | None = None,
    event_id: str | None = None,
    facility: str | None = None,
) -> ScanEvent:
    occurred = (T0 + timedelta(hours=hours)).astimezone(timezone(timedelta(hours=offset_hours)))
    return ScanEvent(
        event_id=event_id or str(uuid.uuid4()),
        sequence=sequence,
        status=status if status == CORRECTION else Status(status),
        occurred_at=occurred,
        recorded_at=T0 + timedelta(hours=hours if recorded_hours is None else recorded_hours),
        location=Location(city="Leeds", facility=facility),
        voids_event_id=voids,
    )


def lifecycle() -> list[ScanEvent]:
    steps = [S.ORDER_PLACED, S.PROCESSING, S.PACKED, S.DISPATCHED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    return [ev(status, i, sequence=i + 1) for i, status in enumerate(steps)]


def test_main_path_reaches_delivered_and_every_milestone() -> None:
    derived = derive(lifecycle())
    assert derived.status is S.DELIVERED
    assert all(at is not None for at in derived.reached_at().values())
    assert all(entry.effect is Effect.APPLIED for entry in derived.timeline)


def test_a_step_behind_the_furthest_milestone_is_kept_but_does_not_move_back() -> None:
    events = [ev(S.ORDER_PLACED, 0), ev(S.IN_TRANSIT, 1), ev(S.DISPATCHED, 2)]
    derived = derive(events)
    assert derived.status is S.IN_TRANSIT
    assert [e.effect for e in derived.timeline] == [Effect.APPLIED, Effect.APPLIED, Effect.REGRESSIVE]


def test_late_scan_is_flagged_and_slots_into_occurred_order() -> None:
    # Dispatched happened at hour 2 but reached the server after the in-transit scan of hour 3.
    events = [
        ev(S.ORDER_PLACED, 0),
        ev(S.PACKED, 1),
        ev(S.IN_TRANSIT, 3),
        ev(S.DISPATCHED, 2, recorded_hours=4),
    ]
    derived = derive(events)
    assert derived.status is S.IN_TRANSIT
    assert [e.event.status for e in derived.timeline] == [S.ORDER_PLACED, S.PACKED, S.DISPATCHED, S.IN_TRANSIT]
    assert [e.late for e in derived.timeline] == [False, False, True, False]


def test_explicit_paths_back_to_transit_are_allowed() -> None:
    after_attempt = derive(
        [ev(S.ORDER_PLACED, 0), ev(S.OUT_FOR_DELIVERY, 1), ev(S.DELIVERY_ATTEMPTED, 2), ev(S.IN_TRANSIT, 3)]
    )
    assert after_attempt.status is S.IN_TRANSIT
    after_problem = derive([ev(S.ORDER_PLACED, 0), ev(S.OUT_FOR_DELIVERY, 1), ev(S.EXCEPTION, 2), ev(S.IN_TRANSIT, 3)])
    assert after_problem.status is S.IN_TRANSIT


def test_terminal_statuses_stay_until_a_correction_voids_their_event() -> None:
    delivered = ev(S.DELIVERED, 2)
    events = [ev(S.ORDER_PLACED, 0), ev(S.OUT_FOR_DELIVERY, 1), delivered, ev(S.EXCEPTION, 3)]
    assert derive(events).status is S.DELIVERED
    corrected = derive([*events, ev(CORRECTION, 4, voids=delivered.event_id)])
    assert corrected.status is S.EXCEPTION
    effects = {e.event.status: e.effect for e in corrected.timeline}
    assert effects[S.DELIVERED] is Effect.VOIDED
    assert not [e for e in corrected.timeline if e.public and e.event.status == CORRECTION]


def test_same_instant_follows_lifecycle_order() -> None:
    assert derive([ev(S.ORDER_PLACED, 0), ev(S.DISPATCHED, 1), ev(S.PACKED, 1)]).status is S.DISPATCHED


def test_times_keep_their_own_offset() -> None:
    derived = derive([ev(S.ORDER_PLACED, 0, offset_hours=9), ev(S.PACKED, 1, offset_hours=-5)])
    offsets = [e.event.occurred_at.utcoffset() for e in derived.timeline]
    assert offsets == [timedelta(hours=9), timedelta(hours=-5)]


statuses = st.sampled_from([s for s in Status if s is not S.ORDER_PLACED])


@st.composite
def event_sets(draw: st.DrawFn) -> list[ScanEvent]:
    count = draw(st.integers(min_value=0, max_value=12))
    events = [ev(S.ORDER_PLACED, 0, sequence=1)]
    for sequence in range(2, count + 2):
        events.append(
            ev(
                draw(statuses),
                draw(st.integers(min_value=0, max_value=30)),
                recorded_hours=draw(st.integers(min_value=0, max_value=40)),
                sequence=sequence,
                offset_hours=draw(st.integers(min_value=-11, max_value=12)),
            )
        )
    if draw(st.booleans()) and len(events) > 1:
        target = draw(st.sampled_from(events[1:]))
        events.append(ev(CORRECTION, 31, sequence=len(events) + 1, voids=target.event_id))
    return events


def fingerprint(events: list[ScanEvent]) -> tuple[object, ...]:
    derived = derive(events)
    return (
        derived.status,
        derived.substatus,
        tuple((e.event.event_id, e.effect, e.late) for e in derived.timeline),
        tuple(derived.reached_at().items()),
    )


@settings(max_examples=300)
@given(event_sets(), st.randoms(use_true_random=False), st.data())
def test_any_permutation_and_duplication_gives_the_same_status_and_timeline(
    events: list[ScanEvent], rng: object, data: st.DataObject
) -> None:
    expected = fingerprint(events)
    shuffled = data.draw(st.permutations(events))
    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=6))
    assert fingerprint([*shuffled, *duplicates]) == expected


@given(event_sets())
def test_timeline_is_in_occurred_order(events: list[ScanEvent]) -> None:
    instants = [e.event.occurred_at for e in derive(events).timeline if e.event.status != CORRECTION]
    assert instants == sorted(instants)


@st.composite
def in_order_events(draw: st.DrawFn) -> list[ScanEvent]:
    events = [ev(S.ORDER_PLACED, 0, sequence=1)]
    hours = 0.0
    for sequence in range(2, draw(st.integers(min_value=2, max_value=12))):
        hours += draw(st.floats(min_value=0.01, max_value=20))
        # Few facilities, and scans naming none: visits that go on, end, and come back (the state's stay).
        facility = draw(st.sampled_from([None, "LEEDS-HUB", "YORK-DEPOT"]))
        events.append(ev(draw(statuses), hours, sequence=sequence, facility=facility))
    return events


def _state_of(events: list[ScanEvent]) -> ParcelState:
    """The parcel state a full replay of ``events`` gives (as the scan transaction makes it after a replay)."""
    return ParcelState.unborn(events[0].occurred_at).replayed(derive(events), max(e.sequence for e in events))


@given(in_order_events())
def test_advancing_the_state_equals_replaying_every_event(events: list[ScanEvent]) -> None:
    state = _state_of(events[:1])
    for index, event in enumerate(events[1:], start=1):
        before = state
        advanced = state.advance(event)
        assert advanced is not None
        state, effect = advanced
        replayed = derive(events[: index + 1])
        assert state == before.replayed(replayed, event.sequence)  # status, sequence and where it waits
        assert effect is replayed.timeline[-1].effect


def test_an_event_before_the_latest_cannot_advance() -> None:
    state = _state_of([ev(S.ORDER_PLACED, 0, sequence=1), ev(S.IN_TRANSIT, 5, sequence=2)])
    assert state.advance(ev(S.DISPATCHED, 4)) is None
    assert state.advance(ev(CORRECTION, 6, voids="x")) is None


def test_order_placed_opens_the_log_even_when_a_scan_is_dated_before_it() -> None:
    # A device that sends whole seconds, in the second the order was placed (issue 12, finding 3).
    placed = ev("order_placed", 0.5 / 3600, recorded_hours=0)
    early = ev("exception", 0, recorded_hours=1)
    result = derive([early, placed])
    assert [e.event.status for e in result.timeline] == [S.ORDER_PLACED, S.EXCEPTION]
    assert [e.effect for e in result.timeline] == [Effect.APPLIED, Effect.APPLIED]
    assert result.status is S.EXCEPTION
    assert not any(e.late for e in result.timeline)  # not late on the order's account: it notifies


@given(in_order_events())
def test_the_visits_ended_in_order_are_the_replays_first_visits(events: list[ScanEvent]) -> None:
    # What the scan transaction stores on the fast path (the first ended visit per facility kept, later ones
    # ignored) is what a replay of every event gives.
    log = ParcelLog(_state_of(events[:1]), lambda: events[:1])
    for event in events[1:]:
        log.append(event)
    assert not log.replayed
    kept: dict[str, Visit] = {}
    for visit in log.ended_visits:
        kept.setdefault(visit.facility, visit)
    assert list(kept.values()) == first_visits(scans_of(derive(events).timeline))
