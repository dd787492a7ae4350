"""Operations metrics in Prometheus's format: the collectors, what records them, and the exposition.

The collectors live in prometheus-client's process-wide registry (it allows each name once per process), so they
are defined here once; what records them is a ``Metrics`` built by the composition root, or ``NO_METRICS``
(``ORDERTRAIL_METRICS=false``), which records nothing. Hot paths count per commit, not per scan.

Several server processes (``ordertrail serve --workers N``) share one ``PROMETHEUS_MULTIPROC_DIR``, set by the
supervisor before the workers start: each process then writes its values to files there and a scrape of any one
process reads them all (``exposition``). Without that variable the values stay in this process's memory.
"""

from __future__ import annotations

import os
import re
from collections import Counter as Tally
from collections.abc import Iterable
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


class Metrics:
    """Records the operations metrics. Every method is one call per request, commit or delivery."""

    enabled = True

    def __init__(self) -> None:
        # Each label set's two series, looked up once: ``labels()`` takes a lock and builds a key on every call.
        # Bounded like the labels themselves (methods, route templates, five status classes).
        self._requests: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def request(self, method: str, route: str, status: str, seconds: float | None) -> None:
        """One answered request; ``seconds`` is None for a live stream (its lifetime is no latency)."""
        key = (method, route, status)
        series = self._requests.get(key)
        if series is None:
            series = self._requests[key] = (HTTP_REQUESTS.labels(*key), HTTP_SECONDS.labels(*key))
        series[0].inc()
        if seconds is not None:
            series[1].observe(seconds)

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
            SUBMISSION_SCANS.observe(size)
            total += size
        COMMIT_SCANS.observe(total)
        COMMIT_SECONDS.observe(seconds)
        for outcome, count in outcomes.items():
            SCANS.labels(outcome).inc(count)
        if estimates:
            ESTIMATES.inc(estimates)

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


NO_METRICS: Metrics = _NoMetrics()
RECORDING: Metrics = Metrics()


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
