"""Lane statistics, learned incrementally from delivered parcels.

Per lane key (at every fallback level) and per *situation* (step, time of day, days already spent in the
step), a histogram of how many delivery days were still ahead; and per lane and step, a histogram of the hours
spent in the step (the wait that marks a parcel as stalled). Everything is plain data: ``to_dict`` and
``from_dict`` give JSON-ready structures, so the statistics can be stored and updated one parcel at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final, TypeVar

from ordertrail.domain.estimating.calendar import DeliveryCalendar
from ordertrail.domain.estimating.calibration import Calibration
from ordertrail.domain.estimating.histograms import MAX_DAYS, DayHistogram, HourHistogram
from ordertrail.domain.estimating.journey import StepVisit
from ordertrail.domain.estimating.lanes import Lane, LaneLevel

BAND_HOURS: Final = 6  # the local day is cut into four bands: night, morning, afternoon, evening
# Learning looks at each parcel at the middle of every band of every local day it was on its way.
SNAPSHOT_TIMES: Final = tuple(time(hour=h + BAND_HOURS // 2) for h in range(0, 24, BAND_HOURS))
ELAPSED_CAP: Final = 2  # "2" means two or more days spent in the step
ANY_ELAPSED: Final = "*"
FORMAT: Final = 2  # 2: observations per situation kept beside the (recency-weighted) counts


def band_of(local: datetime) -> int:
    """The band (0..3) of a local time."""
    return local.hour // BAND_HOURS


@lru_cache(maxsize=4096)
def situation(step: str, band: int, elapsed_days: int | None) -> str:
    """The key of a situation; ``elapsed_days=None`` pools every elapsed time."""
    elapsed = ANY_ELAPSED if elapsed_days is None else str(min(elapsed_days, ELAPSED_CAP))
    return f"{step}|{band}|{elapsed}"


@lru_cache(maxsize=4096)
def _snapshot_moments(zone: tzinfo, day: date) -> tuple[float, ...]:
    """The instants (POSIX seconds) of ``SNAPSHOT_TIMES`` on local ``day``: journeys of the same days share them."""
    return tuple(datetime.combine(day, at, tzinfo=zone).timestamp() for at in SNAPSHOT_TIMES)


@dataclass(frozen=True, slots=True)
class Found:
    """A histogram found for a lookup, and the lane level it came from."""

    level: LaneLevel
    histogram: DayHistogram


@dataclass(frozen=True, slots=True)
class Blended:
    """A distribution of delivery days ahead made from several lane levels (``LaneStats.blend_ahead``)."""

    level: LaneLevel  # the finest level that contributed
    probabilities: list[float]  # per slot, summing to 1, not yet conditioned on what is still possible
    samples: int  # the observations of the level with enough history that the blend starts from


def _shrink(prior: list[float], histogram: DayHistogram, strength: float) -> list[float]:
    """``histogram``'s distribution pulled toward ``prior`` as if the prior were ``strength`` observations."""
    mass = sum(histogram.counts)
    n = histogram.total
    if mass <= 0 or n <= 0:
        return prior
    scale = n / mass  # recency weights only shape a level's distribution; its observations say how far to trust it
    return [(c * scale + strength * p) / (n + strength) for c, p in zip(histogram.counts, prior, strict=True)]


Seen = tuple[str, int]  # a step or a situation, and the bin of its histogram that one parcel counts in


# Recency: a delivery weighs 2 ** (days since EPOCH / half-life) ("forward decay"): relative to each other, a
# delivery half-life days older weighs half as much, and nothing stored has to be rewritten as time passes (the
# histograms' shape is all an estimate reads). Floats hold the growing weights for about a thousand half-lives.
EPOCH: Final = datetime(2020, 1, 1, tzinfo=UTC)


def recency_weight(delivered_at: datetime, half_life_days: float | None) -> float:
    """The weight of a delivery at ``delivered_at``: 1 without decay (``None`` or 0)."""
    if not half_life_days:
        return 1.0
    return float(2.0 ** ((delivered_at - EPOCH).total_seconds() / 86400 / half_life_days))


@dataclass(slots=True)
class Tally:
    """What delivered parcels of one lane teach, counted before it is added to the statistics.

    A parcel counts in the same bins at every fallback level of its lane, so learning a batch counts each
    lane's parcels once (``Counter.update`` runs in C) and then adds to each level's histograms once per bin,
    instead of a hundred histogram additions per parcel. ``ahead`` counts observations (how much history a
    situation has); ``mass`` their recency weights, kept only once a parcel weighs other than 1.
    """

    waits: Counter[Seen] = field(default_factory=Counter)
    ahead: Counter[Seen] = field(default_factory=Counter)
    mass: dict[Seen, float] | None = None
    parcels: int = 0

    def count(self, visits: Sequence[StepVisit], calendar: DeliveryCalendar, weight: float = 1.0) -> bool:
        """Count one delivered parcel (``visits`` end with its delivery) with its recency ``weight``; False if it
        has nothing to teach."""
        if len(visits) < 2:
            return False
        self.waits.update(_waits_seen(visits))
        seen = _ahead_seen(visits, calendar)
        if weight != 1.0 and self.mass is None:
            self.mass = {key: float(times) for key, times in self.ahead.items()}  # the earlier parcels weighed 1
        self.ahead.update(seen)
        if self.mass is not None:
            mass = self.mass
            for key in seen:
                mass[key] = mass.get(key, 0.0) + weight
        self.parcels += 1
        return True

    def merge(self, other: Tally) -> None:
        """Add another tally's counts to this one (a lane key's share of every lane that falls back to it)."""
        if other.mass is not None or self.mass is not None:
            # Unweighted counts stay whole numbers, as ``add`` lane by lane leaves them: the same stored values.
            if self.mass is None:
                self.mass = dict(self.ahead)  # these parcels weighed 1
            mass = self.mass
            for key, weight in (other.mass if other.mass is not None else other.ahead).items():
                mass[key] = mass.get(key, 0) + weight
        self.waits.update(other.waits)
        self.ahead.update(other.ahead)
        self.parcels += other.parcels


def _waits_seen(visits: Sequence[StepVisit]) -> list[Seen]:
    """Each step left, and the bin of the hours spent in it."""
    return [
        (before.step, HourHistogram.bin((after.started_at - before.started_at).total_seconds() / 3600))
        for before, after in pairwise(visits)
    ]


def _ahead_seen(visits: Sequence[StepVisit], calendar: DeliveryCalendar) -> list[Seen]:
    """At the middle of every band of every local day on the way: the situation (both with its elapsed days and
    pooled), and the slot of the delivery days that were still ahead."""
    zone = calendar.zone
    starts = [visit.started_at.timestamp() for visit in visits]
    placed, delivered = starts[0], starts[-1]
    delivered_on = calendar.local_date(visits[-1].started_at)
    day: date = calendar.local_date(visits[0].started_at)
    seen: list[Seen] = []
    index, last = 0, len(starts) - 1  # the visit under way: moments only move forward
    ahead = calendar.delivery_days_between(day, delivered_on)  # then one less after each delivery day passed
    one_day = timedelta(days=1)
    while day <= delivered_on:
        slot = ahead if ahead < MAX_DAYS else MAX_DAYS  # DayHistogram.slot, inline: this runs per parcel-day
        for band, moment in enumerate(_snapshot_moments(zone, day)):
            if moment < placed or moment >= delivered:
                continue
            while index < last and starts[index + 1] <= moment:
                index += 1
            specific, pooled = _situations(visits[index].step, band, int((moment - starts[index]) // 86400))
            seen.append((specific, slot))
            seen.append((pooled, slot))
        day += one_day
        if calendar.is_delivery_day(day):
            ahead -= 1
    return seen


@lru_cache(maxsize=4096)
def _situations(step: str, band: int, elapsed_days: int) -> tuple[str, str]:
    """The situation with its elapsed days, and the pooled one."""
    return situation(step, band, elapsed_days), situation(step, band, None)


def tallies_by_key(tallies: Mapping[Lane, Tally]) -> dict[str, Tally]:
    """Every lane key's share of the lanes falling back to it, merged in the lanes' order (every key of every
    lane is present, even with nothing counted).

    Adding these to the statistics once per key gives what ``LaneStats.add`` lane by lane gives: the same
    counts, the same order of situations, and the recency weights summed in the same order (on statistics
    learned before, a weighted count's last digit may round differently). A history of a million rows has
    ~25,000 lanes of ten keys each: a histogram call per lane, key and bin was most of its import, where
    merging counters is a dict operation, and it needs no transaction.
    """
    merged: dict[str, Tally] = {}
    for lane, tally in tallies.items():
        for _, key in lane.fallbacks():
            into = merged.get(key)
            if into is None:
                into = merged[key] = Tally()
            into.merge(tally)
    return merged


H = TypeVar("H", HourHistogram, DayHistogram)


def _add_counts(table: dict[str, H], counts: Counter[Seen], new: Callable[[], H]) -> None:
    """Add counted bins to a lane level's histograms (by step or situation), making the missing ones."""
    for (name, index), times in counts.items():
        histogram = table.get(name)
        if histogram is None:
            histogram = table[name] = new()
        histogram.add_at(index, times)


def _add_weighted(table: dict[str, DayHistogram], counts: Counter[Seen], mass: dict[Seen, float]) -> None:
    """``_add_counts`` for recency-weighted outcomes: observations and their weights."""
    for seen, times in counts.items():
        name, index = seen
        histogram = table.get(name)
        if histogram is None:
            histogram = table[name] = DayHistogram()
        histogram.add_at(index, times, mass[seen])


@dataclass(slots=True)
class LaneStats:
    """Everything learned so far. Mutable on purpose: updated in place as each parcel is delivered."""

    ahead: dict[str, dict[str, DayHistogram]] = field(default_factory=dict)
    waits: dict[str, dict[str, HourHistogram]] = field(default_factory=dict)
    parcels: int = 0
    # Where recent deliveries fell in their estimates, per step (``EstimatePolicy.calibrate``).
    calibration: Calibration = field(default_factory=Calibration)

    def learn_delivered(
        self, lane: Lane, visits: Sequence[StepVisit], calendar: DeliveryCalendar, weight: float = 1.0
    ) -> None:
        """Learn from one delivered parcel (``visits`` end with its delivery), with its recency ``weight``."""
        tally = Tally()
        if tally.count(visits, calendar, weight):
            self.add(lane, tally)

    def add(self, lane: Lane, tally: Tally) -> None:
        """Add what a tally of delivered parcels of ``lane`` teaches, at every fallback level of the lane."""
        if not tally.parcels:
            return
        for _, key in lane.fallbacks():
            _add_counts(self.waits.setdefault(key, {}), tally.waits, HourHistogram)
            if tally.mass is None:
                _add_counts(self.ahead.setdefault(key, {}), tally.ahead, DayHistogram)
            else:
                _add_weighted(self.ahead.setdefault(key, {}), tally.ahead, tally.mass)
        self.parcels += tally.parcels

    def add_all(self, tallies: Mapping[Lane, Tally]) -> None:
        """``add`` for every lane, with the same result (see ``tallies_by_key``)."""
        self.add_by_key(tallies_by_key(tallies))
        self.parcels += sum(tally.parcels for tally in tallies.values())

    def add_by_key(self, by_key: Mapping[str, Tally]) -> None:
        """Add tallies already merged per lane key (``tallies_by_key``): each key's histograms once. The parcel
        total is the caller's (the network key's tally holds every parcel once)."""
        for key, tally in by_key.items():
            if not tally.parcels:
                continue
            _add_counts(self.waits.setdefault(key, {}), tally.waits, HourHistogram)
            if tally.mass is None:
                _add_counts(self.ahead.setdefault(key, {}), tally.ahead, DayHistogram)
            else:
                _add_weighted(self.ahead.setdefault(key, {}), tally.ahead, tally.mass)

    def find_ahead(self, lane: Lane, name: str, min_samples: int) -> Found | None:
        """The finest lane level with at least ``min_samples`` observations of situation ``name``."""
        for level, key in lane.fallbacks():
            histogram = self.ahead.get(key, {}).get(name)
            if histogram is not None and histogram.total >= min_samples:
                return Found(level, histogram)
        return None

    def blend_ahead(self, lane: Lane, name: str, pooled: str, min_samples: int, strength: float) -> Blended | None:
        """Levels blended by their sample sizes instead of taking only the first with enough history.

        The blend starts from the finest level with ``min_samples`` observations of situation ``name`` (else of
        the ``pooled`` situation, every elapsed time together), as ``find_ahead`` would; then every finer level
        that has *some* observations of ``name`` refines it, coarse to fine, each weighing its observations
        against ``strength`` observations' worth of the level below. A seller with 8 parcels to an area is not
        ignored (back-off would skip it for the area's 300) nor trusted alone: its region's distance and its own
        handling move the window as far as its few parcels justify.
        """
        keys = lane.fallbacks()
        start, situation_name = self._base(keys, name, min_samples), name
        if start is None:
            start, situation_name = self._base(keys, pooled, min_samples), pooled
            if start is None:
                return None
        base = self.ahead[keys[start][1]][situation_name]
        probabilities = _shrink([0.0] * len(base.counts), base, 0.0)
        level = keys[start][0]
        # With the pooled base, the exact situation at the base level itself refines it too.
        first_finer = start if situation_name != name else start - 1
        for index in range(first_finer, -1, -1):
            histogram = self.ahead.get(keys[index][1], {}).get(name)
            if histogram is not None and histogram.total > 0:
                probabilities = _shrink(probabilities, histogram, strength)
                level = keys[index][0]
        return Blended(level, probabilities, base.total)

    def _base(self, keys: tuple[tuple[LaneLevel, str], ...], name: str, min_samples: int) -> int | None:
        for index, (_, key) in enumerate(keys):
            histogram = self.ahead.get(key, {}).get(name)
            if histogram is not None and histogram.total >= min_samples:
                return index
        return None

    def wait_quantile(self, lane: Lane, step: str, q: float, min_samples: int) -> float | None:
        """The ``q`` quantile of hours spent in ``step`` on the finest lane level with enough data."""
        for _, key in lane.fallbacks():
            histogram = self.waits.get(key, {}).get(step)
            if histogram is not None and histogram.total >= min_samples:
                return histogram.quantile(q)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (histograms as lists of counts)."""
        return {
            "format": FORMAT,
            "parcels": self.parcels,
            "ahead": {k: {s: list(h.counts) for s, h in t.items()} for k, t in self.ahead.items()},
            "ahead_n": {k: {s: h.total for s, h in t.items()} for k, t in self.ahead.items()},
            "waits": {k: {s: list(h.counts) for s, h in t.items()} for k, t in self.waits.items()},
            "calibration": self.calibration.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LaneStats:
        """Rebuild statistics saved with ``to_dict``."""
        if data.get("format") not in (1, FORMAT):
            raise ValueError(f"unknown lane statistics format {data.get('format')!r}")
        totals = data.get("ahead_n", {})  # format 1 had no weights: observations = the sum of the counts
        ahead = {
            key: {
                name: DayHistogram(list(counts), int(totals.get(key, {}).get(name, sum(counts))))
                for name, counts in table.items()
            }
            for key, table in data["ahead"].items()
        }
        waits = {
            key: {name: HourHistogram(list(counts)) for name, counts in table.items()}
            for key, table in data["waits"].items()
        }
        calibration = Calibration.from_dict(data.get("calibration", {}))  # absent before calibration existed
        return cls(ahead=ahead, waits=waits, parcels=int(data["parcels"]), calibration=calibration)
