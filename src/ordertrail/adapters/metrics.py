"""Operations metrics in Prometheus's format: the collectors, what records them, and the exposition.

The collectors live in prometheus-client's process-wide registry (it allows each name once per process), so they
are defined here once; what records them is a ``Metrics`` built by the composition root, or ``NO_METRICS``
(``ORDERTRAIL_METRICS=false``), which records nothing. Requests and group commits are tallied in plain numbers
and handed to the collectors once a second (``Metrics.flush``), not per scan.

Several server processes (``ordertrail serve --workers N``) share one ``PROMETHEUS_MULTIPROC_DIR``, set by the
supervisor before the workers start: each process then writes its values to files there and a scrape of any one
process reads them all (``exposition``). Without that variable the values stay in this process's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
FLUSH_S = 1.0  # how often a server hands its tallies to the collectors (a scrape also does, in its own process)
CONTENT_TYPE = CONTENT_TYPE_LATEST

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SIZES = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)

HTTP_REQUESTS = Counter(
    "ordertrail_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ("method", "route", "status"),
)
HTTP_SECONDS = Histogram(
    "ordertrail_http_request_duration_seconds",
    "Time to answer an HTTP request (live streams excluded), by method, route template and status class.",
    ("method", "route", "status"),
    buckets=_SECONDS,
)
SSE_OPEN = Gauge("ordertrail_sse_streams_open", "Live (SSE) streams open now.", multiprocess_mode="livesum")
SCANS = Counter("ordertrail_scans_recorded", "Scans answered by the ingestor, by outcome.", ("outcome",))
SUBMISSION_SCANS = Histogram(
    "ordertrail_ingest_submission_scans",
    "Scans per submission (a single scan is 1, a batch its size).",
    buckets=_SIZES,
)
COMMIT_SCANS = Histogram("ordertrail_group_commit_scans", "Scans per group-commit transaction.", buckets=_SIZES)
COMMIT_SECONDS = Histogram(
    "ordertrail_group_commit_duration_seconds",
    "Time of one group-commit transaction, to COMMIT returning.",
    buckets=_SECONDS,
)
COMMIT_FAILURES = Counter(
    "ordertrail_group_commit_failures", "Group-commit transactions that failed and were retried one by one."
)
ESTIMATES = Counter("ordertrail_estimates_computed", "Delivery estimates computed for recorded events.")
OUTBOX_PENDING = Gauge(
    "ordertrail_outbox_pending",
    "Outbox messages waiting for delivery (read from the store at each scrape).",
    multiprocess_mode="mostrecent",
)
OUTBOX_FINISHED = Counter(
    "ordertrail_outbox_messages",
    "Outbox messages the delivery worker finished with: delivered, failed (will retry), dead or skipped.",
    ("channel", "result"),
)
OUTBOX_SECONDS = Histogram(
    "ordertrail_outbox_delivery_latency_seconds",
    "From an outbox message's creation to its delivery.",
    ("channel",),
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0),
)
WEBHOOK_ATTEMPTS = Counter(
    "ordertrail_webhook_attempts",
    "Webhook delivery attempts, by outcome: 2xx, 3xx, 4xx, 5xx, timeout or error (no answer).",
    ("outcome",),
)


class _Histogram:
    """Observations of one histogram series since the last flush: plain numbers, no lock (one event loop)."""

    __slots__ = ("bounds", "buckets", "sum", "target")

    def __init__(self, target: Histogram, bounds: tuple[float, ...]) -> None:
        self.target, self.bounds = target, bounds
        self.sum = 0.0
        self.buckets = [0] * (len(bounds) + 1)  # the last is +Inf

    def observe(self, value: float) -> None:
        self.sum += value
        self.buckets[bisect_left(self.bounds, value)] += 1  # the first bucket whose bound is >= value

    def flush(self) -> None:
        # What Histogram.observe does per observation (its sum, then the one bucket whose bound is the first at
        # or above the value), once per bucket for everything gathered: each .inc takes a lock and, with
        # several processes, writes a memory-mapped file.
        if not any(self.buckets):
            return
        self.target._sum.inc(self.sum)
        for index, count in enumerate(self.buckets):
            if count:
                self.target._buckets[index].inc(count)
        self.sum = 0.0
        self.buckets = [0] * len(self.buckets)


class Metrics:
    """Records the operations metrics: into this process's tallies, handed to prometheus-client's collectors
    by ``flush`` (every second while the server runs, and before each scrape). On the hot paths a request or a
    group commit then costs a few additions instead of a lock (and a file write, under several processes) per
    figure."""

    enabled = True

    def __init__(self) -> None:
        # Each label set's tallies, made once: bounded like the labels themselves (methods, route templates, five
        # status classes; outcomes).
        self._requests: dict[tuple[str, str, str], list[int]] = {}
        self._latencies: dict[tuple[str, str, str], _Histogram] = {}
        self._scans: dict[str, Counter] = {}
        self._submissions = _Histogram(SUBMISSION_SCANS, _SIZES)
        self._commit_scans = _Histogram(COMMIT_SCANS, _SIZES)
        self._commit_seconds = _Histogram(COMMIT_SECONDS, _SECONDS)
        self._estimates = 0

    def request(self, method: str, route: str, status: str, seconds: float | None) -> None:
        """One answered request; ``seconds`` is None for a live stream (its lifetime is no latency)."""
        key = (method, route, status)
        count = self._requests.get(key)
        if count is None:
            count = self._requests[key] = [0]
        count[0] += 1
        if seconds is not None:
            latency = self._latencies.get(key)
            if latency is None:
                latency = self._latencies[key] = _Histogram(HTTP_SECONDS.labels(*key), _SECONDS)
            latency.observe(seconds)

    def stream_opened(self) -> None:
        SSE_OPEN.inc()

    def stream_closed(self) -> None:
        SSE_OPEN.dec()

    def group_committed(
        self, *, submissions: Iterable[int], outcomes: Tally[str], estimates: int, seconds: float
    ) -> None:
        """One group's transaction committed: its submissions' sizes, its scans' outcomes, the estimates made."""
        total = 0
        for size in submissions:
            self._submissions.observe(size)
            total += size
        self._commit_scans.observe(total)
        self._commit_seconds.observe(seconds)
        # The scans are counted at once, one addition per outcome and commit: a scrape counts every scan answered
        # before it, whichever process recorded it.
        for outcome, count in outcomes.items():
            counter = self._scans.get(outcome)
            if counter is None:
                counter = self._scans[outcome] = SCANS.labels(outcome)
            counter.inc(count)
        self._estimates += estimates

    def group_failed(self) -> None:
        COMMIT_FAILURES.inc()

    def outbox_finished(self, channel: str, result: str, latency_s: float | None = None) -> None:
        OUTBOX_FINISHED.labels(channel, result).inc()
        if latency_s is not None:
            OUTBOX_SECONDS.labels(channel).observe(latency_s)

    def webhook_attempt(self, status_code: int | None, *, timed_out: bool) -> None:
        if status_code is not None:
            outcome = f"{min(max(status_code // 100, 1), 5)}xx"
        else:
            outcome = "timeout" if timed_out else "error"
        WEBHOOK_ATTEMPTS.labels(outcome).inc()

    def outbox_pending(self, count: int) -> None:
        OUTBOX_PENDING.set(count)

    def flush(self) -> None:
        """Hand what was tallied since the last flush to the collectors (in the event loop's thread)."""
        for key, count in self._requests.items():
            if count[0]:
                HTTP_REQUESTS.labels(*key).inc(count[0])
                count[0] = 0
        for latency in self._latencies.values():
            latency.flush()
        self._submissions.flush()
        self._commit_scans.flush()
        self._commit_seconds.flush()
        if self._estimates:
            ESTIMATES.inc(self._estimates)
            self._estimates = 0

    @asynccontextmanager
    async def flushing(self, *, every_s: float = FLUSH_S) -> AsyncIterator[None]:
        """Flush every ``every_s`` while the block runs, and once more at its end."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every_s)
                self.flush()

        task = asyncio.get_running_loop().create_task(loop(), name="ordertrail-metrics-flush")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.flush()


class _NoMetrics(Metrics):
    """Records nothing (``ORDERTRAIL_METRICS=false``)."""

    enabled = False

    def request(self, method: str, route: str, status: str, seconds: float | None) -> None:
        pass

    def stream_opened(self) -> None:
        pass

    def stream_closed(self) -> None:
        pass

    def group_committed(
        self, *, submissions: Iterable[int], outcomes: Tally[str], estimates: int, seconds: float
    ) -> None:
        pass

    def group_failed(self) -> None:
        pass

    def outbox_finished(self, channel: str, result: str, latency_s: float | None = None) -> None:
        pass

    def webhook_attempt(self, status_code: int | None, *, timed_out: bool) -> None:
        pass

    def outbox_pending(self, count: int) -> None:
        pass

    def flush(self) -> None:
        pass

    @asynccontextmanager
    async def flushing(self, *, every_s: float = FLUSH_S) -> AsyncIterator[None]:
        yield


NO_METRICS: Metrics = _NoMetrics()


def recording() -> Metrics:
    """A new recorder (one per server: its tallies are its own; the collectors it flushes to are shared)."""
    return Metrics()


def exposition() -> bytes:
    """Every metric in Prometheus's text format: this process's, or with a multi-process directory, every
    server process's (after forgetting the live gauges of processes that are gone)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    forget_dead_processes(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def forget_dead_processes(directory: Path) -> None:
    """Drop the live gauges (open streams) of processes that no longer run: a worker killed without its
    shutdown (which marks itself) must not count its streams for ever."""
    for pid in {int(m.group(1)) for f in directory.glob("gauge_live*.db") if (m := _LIVE_FILE.fullmatch(f.name))}:
        if not _running(pid):
            process_exited(pid, directory)


def process_exited(pid: int, directory: Path | None = None) -> None:
    """Mark a server process as gone (its live gauges no longer count); nothing without a multi-process dir."""
    path = str(directory) if directory is not None else os.environ.get(MULTIPROC_ENV)
    if path:
        multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def prepare_directory(directory: Path) -> None:
    """Create the multi-process directory, emptied of an earlier run's files (they would count again)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
