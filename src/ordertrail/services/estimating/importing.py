"""A warm start: learn lane statistics from a shop's past deliveries (``ordertrail eta import-history``).

The history is counted in memory first, per lane and then per lane key (the CPU-heavy part, outside any
transaction), then added to the stored statistics in one write transaction, exactly as the periodic learning
job adds delivered parcels: the same lane keys, the same histograms. The transaction commits once, at the end:
a crash or an error before it leaves the statistics as they were. Importing the same file twice counts its
parcels twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from ordertrail.domain.estimating.history import HistoryParcel
from ordertrail.domain.estimating.lanes import Lane
from ordertrail.domain.estimating.stats import Tally, recency_weight, tallies_by_key
from ordertrail.services.context import Services
from ordertrail.services.estimating.learning import save_tallies
from ordertrail.services.estimating.runtime import EstimateRuntime

PROGRESS_EVERY = 5_000  # parcels between progress reports


def tally_history(
    runtime: EstimateRuntime, parcels: Sequence[HistoryParcel], *, progress: Callable[[int], None] = lambda _: None
) -> tuple[dict[Lane, Tally], int]:
    """What the parcels teach, counted per lane with each destination's calendar (its region's where given);
    returns the tallies and how many parcels taught something."""
    tallies: dict[Lane, Tally] = {}
    learned = 0
    half_life = runtime.config.policy.half_life_days
    for done, parcel in enumerate(parcels, 1):
        tally = tallies.get(parcel.lane)
        if tally is None:
            tally = tallies[parcel.lane] = Tally()
        weight = recency_weight(parcel.delivered_at, half_life)
        learned += tally.count(parcel.visits(), runtime.calendar(parcel.country, parcel.region), weight)
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(len(parcels))
    return tallies, learned


async def import_history(
    services: Services, parcels: Sequence[HistoryParcel], *, progress: Callable[[int], None] = lambda _: None
) -> int:
    """Learn ``parcels`` (delivered, as read from a history file) into the stored lane statistics; returns how
    many were learned. Raises RuntimeError when estimates are turned off (nothing would use them)."""
    runtime = services.estimates
    if runtime is None:
        raise RuntimeError("estimates are turned off (ORDERTRAIL_ESTIMATES=false): there is nothing to learn for")
    tallies, learned = tally_history(runtime, parcels, progress=progress)
    if not tallies:
        return 0
    by_key = tallies_by_key(tallies)  # before the write lock: the other writers wait only for the rows' write
    now = services.clock()

    def write(connection: Connection) -> None:
        save_tallies(connection, runtime, tallies, now, by_key=by_key)

    await services.db.write(write)
    return learned
