"""The composition root: what a process runs, built from the settings in one place.

Every entry point opens its runtime here and nowhere else: the HTTP server (``app.py``: ``open_server``), the
``ordertrail worker`` command and every other CLI command (``open_runtime``, plus ``background_jobs`` for the
worker). Nothing connects at import time; everything is closed in the reverse order it was opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from ordertrail.adapters.metrics import NO_METRICS, Metrics, recording
from ordertrail.adapters.passwords import Passwords
from ordertrail.demo.live import keep_moving
from ordertrail.domain.errors import RateLimited
from ordertrail.domain.staff.lockout import LockoutPolicy
from ordertrail.notify.worker import Worker
from ordertrail.realtime.bus import EventBus, InProcessBus
from ordertrail.secrets_file import load_or_create
from ordertrail.services.analytics.weekly_report import run_weekly_reports
from ordertrail.services.console.parcel_counts import run_count_folder
from ordertrail.services.context import Services
from ordertrail.services.couriers.handover import record_carried
from ordertrail.services.couriers.reconciliation import run_reconciler
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.estimating.sweep import run_sweeper
from ordertrail.services.limits.counters import Counters, MemoryCounters
from ordertrail.services.limits.lockouts import Lockout
from ordertrail.services.limits.rates import RateLimit
from ordertrail.services.limits.store_counters import StoreCounters
from ordertrail.services.limits.streams import StreamSlots
from ordertrail.services.orders.access import lookup_lockout
from ordertrail.services.ports import system_clock
from ordertrail.services.scanning.ingestor import ScanIngestor
from ordertrail.services.staff.context import StaffRules
from ordertrail.services.tracking.cache import TrackingCache
from ordertrail.services.tracking.live import publisher
from ordertrail.services.tracking.public_context import PublicContext
from ordertrail.setting_groups import LimitSettings, LiveSettings, StaffSettings
from ordertrail.settings import Settings
from ordertrail.storage.database import Database, open_database
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.schema import require_current_schema

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (the file name, not a key)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What every process has: the settings, the use cases' ports (store, clock, estimates) and the signing key."""

    settings: Settings
    services: Services
    secret_key: bytes  # signs links (order views, unsubscribe): read once, here
    staff: StaffRules  # staff accounts: password hashing, lockout, invitation and session lifetimes


@dataclass(frozen=True, slots=True)
class ServerRuntime:
    """What an HTTP server process adds: live updates, group commit, the public protections and caches."""

    base: Runtime
    bus: EventBus
    ingestor: ScanIngestor
    public: PublicContext
    tracking_cache: TrackingCache
    pairing_lockout: Lockout
    counters: Counters  # of every limit above: memory, the store or Redis (settings.limits.backend)
    metrics: Metrics  # the operations metrics (/metrics), or NO_METRICS (ORDERTRAIL_METRICS=false)

    @property
    def settings(self) -> Settings:
        return self.base.settings

    @property
    def services(self) -> Services:
        return self.base.services


def read_secret_key(settings: Settings) -> bytes:
    """The configured key, or the one generated once into the data directory (the embedded default)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return load_or_create(settings.data_dir / SECRET_KEY_FILE)


@asynccontextmanager
async def open_runtime(settings: Settings, *, clock: Callable[[], datetime] = system_clock) -> AsyncIterator[Runtime]:
    """The store (upgraded in place when embedded; PostgreSQL must already be at head), estimates and the key.

    Raises StoreProblem when a PostgreSQL schema is not at this code's revision.
    """
    store = settings.store
    if store.embedded:
        await asyncio.to_thread(upgrade, store.url)
    db = open_database(store.url, synchronous=store.sqlite_synchronous, busy_timeout_ms=store.sqlite_busy_timeout_ms)
    try:
        if not store.embedded:
            await require_current_schema(db)  # PostgreSQL is upgraded by `ordertrail db upgrade`, never here
        rules = settings.estimating
        estimates = runtime_for(
            enabled=rules.enabled,
            holidays=rules.holidays,
            holidays_removed=rules.holidays_removed,
            official_holidays=rules.official_holidays,
            half_life_days=rules.half_life_days,
            calibrate=rules.calibrate,
            stalled_default=rules.stalled_default,
        )
        services = Services(db=db, clock=clock, estimates=estimates, handovers=record_carried)
        key = await asyncio.to_thread(read_secret_key, settings)
        yield Runtime(settings, services, key, staff_rules(settings.staff))
    finally:
        await db.close()


def staff_rules(staff: StaffSettings) -> StaffRules:
    """The rules staff accounts run under, from their settings."""
    return StaffRules(
        passwords=Passwords(time_cost=staff.password_time_cost, memory_kib=staff.password_memory_kib),
        lockout=LockoutPolicy(max_failures=staff.lockout_failures, window=staff.lockout_window),
        invitation_ttl=staff.invitation_ttl,
        session_idle=staff.session_idle,
        session_max=staff.session_max,
        public_base_url=staff.public_base_url,
    )


def delivery_worker(runtime: Runtime, metrics: Metrics = NO_METRICS) -> Worker:
    """A delivery worker (emails, webhooks) over the runtime's store and clock."""
    return Worker.from_settings(runtime.services, runtime.settings.notifying, key=runtime.secret_key, metrics=metrics)


@asynccontextmanager
async def background_jobs(
    runtime: Runtime, *, wake_on_commit: bool, metrics: Metrics = NO_METRICS
) -> AsyncIterator[Worker]:
    """A running delivery worker and, with estimates on, the stalled-parcel sweep; stopped gracefully on exit.

    ``wake_on_commit``: the worker shares the process with the writers (``serve``), so each commit that recorded
    changes wakes it instead of it waiting for its next poll.
    """
    worker = delivery_worker(runtime, metrics)
    if wake_on_commit:

        async def wake(_: object) -> None:
            worker.wake()

        runtime.services.after_commit.append(wake)
    worker.start()
    stop = asyncio.Event()
    sweeper = None
    if runtime.services.estimates is not None:
        interval = runtime.settings.estimating.sweep_seconds
        sweeper = asyncio.create_task(
            run_sweeper(runtime.services, interval=interval, stop=stop), name="ordertrail-sweeper"
        )
    # Handovers their courier never picked up (docs/couriers.md): with or without estimates, on the sweep's beat.
    reconciler = asyncio.create_task(
        run_reconciler(runtime.services, interval=runtime.settings.estimating.sweep_seconds, stop=stop),
        name="ordertrail-reconciler",
    )
    # Each opted-in merchant's weekly report (docs/analytics.md), queued once per week on the same beat.
    reports = asyncio.create_task(
        run_weekly_reports(
            runtime.services,
            base_url=runtime.settings.public_base_url,
            interval=runtime.settings.estimating.sweep_seconds,
            stop=stop,
        ),
        name="ordertrail-weekly-reports",
    )
    # The overview's parcels by status (storage/console/parcel_counts.py): change rows folded into counts.
    counts = asyncio.create_task(run_count_folder(runtime.services, stop=stop), name="ordertrail-count-folder")
    try:
        yield worker
    finally:
        stop.set()
        await counts
        await reports
        await reconciler
        if sweeper is not None:
            await sweeper
        await worker.stop()


@asynccontextmanager
async def open_server(
    settings: Settings, *, clock: Callable[[], datetime] = system_clock, metrics: Metrics | None = None
) -> AsyncIterator[ServerRuntime]:
    """Everything an HTTP server process runs: the runtime, the bus, the scan ingestor, the public context, and
    (``worker_in_process``, the single-machine default) the delivery worker and sweep.

    ``metrics``: the recorder the HTTP layer also counts into (default: a new one, or none with metrics off).
    """
    async with open_runtime(settings, clock=clock) as base:
        live = settings.live
        bus = live_bus(live)
        await bus.start()
        base.services.after_commit.append(publisher(bus))  # committed changes go to the bus
        limits = settings.limits
        counters = limit_counters(limits, base.services.db)
        public = PublicContext(
            bus=bus,
            throttle=RateLimit(counters, limits.public_rate_limit),
            streams=StreamSlots(counters, limits.max_streams_per_address),
            order_lookups=lookup_lockout(
                counters,
                per_client=limits.order_lookup_max_failures,
                per_order=limits.order_lookup_max_failures_per_order,
            ),
            secret_key=base.secret_key,
            order_view_ttl=live.order_view_ttl,
            retry_ms=live.retry_ms,
        )
        if metrics is None:
            metrics = metrics_for(settings)
        ingestor = ScanIngestor(base.services, gather_s=settings.http.ingest_gather_s, metrics=metrics)
        ingestor.start()
        server = ServerRuntime(
            base=base,
            bus=bus,
            ingestor=ingestor,
            public=public,
            tracking_cache=TrackingCache(),
            pairing_lockout=pairing_lockout(counters, limits.pairing_max_failures),
            counters=counters,
            metrics=metrics,
        )
        async with AsyncExitStack() as stack:
            stack.push_async_callback(counters.close)  # runs last: requests still finishing may count
            await stack.enter_async_context(metrics.flushing())  # its last flush follows the last commit
            if settings.notifying.worker_in_process:
                await stack.enter_async_context(background_jobs(base, wake_on_commit=True, metrics=metrics))
            # Runs first on the way out: closing the bus ends every open stream, so the server can shut down.
            stack.push_async_callback(_stop_taking_writes, bus, ingestor)
            if settings.demo_live_seconds > 0:  # stops before the bus closes: its last scan is still published
                await stack.enter_async_context(live_demo(base.services, interval=settings.demo_live_seconds))
            yield server


def metrics_for(settings: Settings) -> Metrics:
    """A recorder of the operations metrics, or one that records nothing (ORDERTRAIL_METRICS=false)."""
    return recording() if settings.http.metrics else NO_METRICS


@asynccontextmanager
async def live_demo(services: Services, *, interval: float) -> AsyncIterator[None]:
    """The live demo's scans (demo/live.py) while the server runs; stopped before the writers stop."""
    stop = asyncio.Event()
    task = asyncio.create_task(keep_moving(services, interval=interval, stop=stop), name="ordertrail-live-demo")
    try:
        yield
    finally:
        stop.set()
        await task


async def _stop_taking_writes(bus: EventBus, ingestor: ScanIngestor) -> None:
    """Close the bus and finish the scans already queued."""
    await bus.close()
    await ingestor.stop()


def limit_counters(limits: LimitSettings, db: Database) -> Counters:
    """Where the limits count: Redis (every machine), the store (every process on it), or this process."""
    if limits.backend == "redis":
        assert limits.redis_url is not None  # the settings refuse the redis backend without a URL
        # Imported only when used: the Redis client costs every CLI command ~0.1 s of start-up otherwise.
        from ordertrail.services.limits.redis_counters import RedisCounters

        return RedisCounters(limits.redis_url)
    if limits.backend == "store":
        return StoreCounters(db)
    return MemoryCounters()


def pairing_lockout(counters: Counters, per_client: int) -> Lockout:
    """Failed pairing-code exchanges: per client address, and 20 times as many from everyone together."""

    def locked(retry_after_s: int) -> RateLimited:
        return RateLimited(retry_after_s, "Too many wrong pairing codes: wait, then try again.")

    return Lockout(
        counters, name="pairing", per_client=per_client, per_scope=per_client * 20, window_s=900.0, locked=locked
    )


def live_bus(live: LiveSettings) -> EventBus:
    """Redis between processes when configured, else in-process (polling the store when several processes share
    it without Redis)."""
    if live.redis_url is not None:
        from ordertrail.realtime.redis_bus import RedisBus  # only when used (as RedisCounters above)

        return RedisBus(live.redis_url, queue_size=live.queue_size, keepalive_s=live.keepalive_s, poll_s=live.poll_s)
    return InProcessBus(
        queue_size=live.queue_size, keepalive_s=live.keepalive_s, poll_s=live.poll_s if live.poll_always else None
    )
