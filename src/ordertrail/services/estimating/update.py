"""Delivery estimates in the transaction that records events: windows, revisions and the delay overlay.

``estimate_changes`` runs inside the transaction that recorded the changes (scans and order placement alike):
it moves each parcel's estimate state (``EstimateState``, saved with the status projection in the same UPDATE)
along its steps from the changes alone (events are read again only for corrections and some late events),
makes the new estimate with the pure estimator, records a revision when the window moved, turns the delay
overlay on or off (with its notices, in the same transaction), and marks a delivered parcel for learning
(``learning.py``, a periodic batched job). The stalled-parcel sweep (``sweep.py``) revises windows the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from ordertrail.domain.estimating.estimator import Estimate
from ordertrail.domain.estimating.journey import NO_ESTIMATE
from ordertrail.domain.estimating.revisions import Reason, Revision, Window, is_delayed, promise_of, scan_reason
from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.notifying.policy import DelayChange
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.status import Status
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.notifying.outbox import enqueue_delay_notices
from ordertrail.storage.estimating import revisions as revision_store
from ordertrail.storage.estimating import state as estimate_store
from ordertrail.storage.scanning import events as scan_store

Courier = tuple[str, str | None]  # a courier's code and the service level it was given


@dataclass(slots=True)
class PendingWrites:
    """What one transaction's estimate update writes besides the parcels' own state."""

    revisions: list[Revision] = field(default_factory=list)
    delays: list[DelayChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Estimated:
    """A parcel's estimate state after the transaction, and its values as read (to save only what changed)."""

    state: EstimateState
    as_read: tuple[object, ...] | None  # None: a new parcel, every column is written


def estimate_changes(
    connection: Connection,
    changes: Sequence[ParcelChange],
    parcels: Mapping[int, Parcel],
    *,
    now: datetime,
    runtime: EstimateRuntime | None,
    handed_over: Mapping[int, Courier] | None = None,
) -> dict[int, Estimated]:
    """Re-estimate every parcel ``changes`` touched (``parcels``: as the transaction read or created them).

    Fills in each change's ``estimate`` and returns each parcel's estimate state for the caller to save with
    its status projection (one UPDATE). Revisions and delay notices are written here. ``handed_over``: the
    couriers (and service levels) that this transaction's dispatch scans handed parcels to: their lanes
    include them from this estimate on.
    """
    if runtime is None or not changes:
        return {}
    by_parcel: dict[int, list[ParcelChange]] = {}
    for change in changes:
        by_parcel.setdefault(change.parcel_id, []).append(change)
    states = {pid: parcels[pid].estimate or EstimateState(pid) for pid in by_parcel}
    replay = [pid for pid, group in by_parcel.items() if states[pid].needs_events(group)]
    events = scan_store.events_of(connection, replay) if replay else {}
    stats = runtime.stats(connection)
    pending = PendingWrites()
    estimated: dict[int, Estimated] = {}
    for pid, group in by_parcel.items():
        parcel, state = parcels[pid], states[pid]
        estimated[pid] = Estimated(state, None if parcels[pid].estimate is None else state.values())
        if handed_over and pid in handed_over:
            state.courier, state.service_level = handed_over[pid]
        country, area = parcel.lane_destination()
        state.country, state.area = country, area
        if pid in events:
            state.replay(events[pid])
        else:
            state.advance(group)
        last = group[-1]
        lane = runtime.lane_of(state, country, area)
        newest = max(c.event.occurred_at for c in group)
        state.stalled_at = None  # a scan clears the stalled flag
        if last.status in NO_ESTIMATE or state.step is None or state.step_started_at is None:
            # The lane statistics learn it later, in a batch (``learning.py``): not in the scan's transaction.
            state.learn_pending = last.status == Status.DELIVERED and not state.learned
            state.clear_window()
        else:
            found = runtime.estimate(stats, lane, state.step, state.step_started_at, country, now)
            if found is not None and (found.earliest, found.latest) != (state.earliest, state.latest):
                before = Window(state.earliest, state.latest) if state.earliest and state.latest else None
                reason = scan_reason(last.status, before, Window(found.earliest, found.latest))
                revise(pending, state, parcel, found, reason, now)
            state.stall_after = max(newest, state.step_started_at) + runtime.stall_wait(stats, lane, state.step)
            state.watched = True
        snapshot = state.snapshot()
        for change in group:
            change.estimate = snapshot
    write_pending(connection, pending, now)
    return estimated


def estimate_handover(
    connection: Connection,
    parcel: Parcel,
    courier: str,
    service_level: str | None,
    *,
    now: datetime,
    runtime: EstimateRuntime | None,
) -> None:
    """A parcel (read locked) was handed to ``courier``: its lane includes the courier and service level from now
    on, so its window is made again on that lane (reason ``handover``), in the caller's transaction.

    Nothing is written when the parcel already has that courier and service level (a dispatch scan's carrier
    block sets them in the scan's own estimate), or when estimates are off. The stall deadline stays until the
    next event: it counts from the last one, which this is not.
    """
    state = parcel.estimate
    if runtime is None or state is None or (state.courier, state.service_level) == (courier, service_level):
        return
    state.courier, state.service_level = courier, service_level
    pending = PendingWrites()
    if state.watched and state.step is not None and state.step_started_at is not None:
        country, area = parcel.lane_destination()
        stats = runtime.stats(connection)
        lane = runtime.lane_of(state, country, area)
        found = runtime.estimate(stats, lane, state.step, state.step_started_at, country, now)
        if found is not None and (found.earliest, found.latest) != (state.earliest, state.latest):
            revise(pending, state, parcel, found, Reason.HANDOVER, now)
    write_pending(connection, pending, now)
    estimate_store.save_estimates(connection, [state], now=now)


def revise(
    pending: PendingWrites, state: EstimateState, parcel: Parcel, found: Estimate, reason: Reason, now: datetime
) -> None:
    """Take ``found`` as the parcel's new window: a revision, and the delay overlay turned on or off."""
    window = Window(found.earliest, found.latest)
    if state.promise is None:
        state.promise = promise_of(parcel.promised_delivery_date, window)
    state.earliest, state.latest, state.likely = found.earliest, found.latest, found.likely
    state.confidence, state.basis, state.estimated_at = found.confidence, found.basis, now
    delayed = is_delayed(window, state.promise)
    if delayed != state.delayed:
        state.delayed = delayed
        state.delay_reason = reason.value if delayed else None
        pending.delays.append(
            DelayChange(
                parcel_id=parcel.id,
                order_id=parcel.order_id,
                merchant_id=parcel.merchant_id,
                tracking_number=parcel.tracking_number,
                delayed=delayed,
                reason=reason.value,
                earliest=found.earliest,
                latest=found.latest,
                promise=state.promise,
            )
        )
    pending.revisions.append(
        Revision(
            parcel_id=parcel.id,
            earliest=found.earliest,
            latest=found.latest,
            likely=found.likely,
            confidence=found.confidence,
            basis=found.basis,
            step=found.step,
            reason=reason.value,
            delayed=delayed,
            created_at=now,
        )
    )


def write_pending(connection: Connection, pending: PendingWrites, now: datetime) -> None:
    """The revisions, and the notices of delay overlays that came on or off."""
    if pending.delays:
        orders = sorted({d.order_id for d in pending.delays})
        before = estimate_store.delayed_per_order(connection, orders)  # read before the new overlays are saved
        enqueue_delay_notices(connection, pending.delays, before, now=now)
    revision_store.add_revisions(connection, pending.revisions)
