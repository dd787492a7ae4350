"""The composition root: ``create_app(settings)`` builds the store, services and routes in its lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import orjson
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ordertrail.adapters.failure_throttle import FailureThrottle
from ordertrail.adapters.rate_limits import StreamSlots, Throttle
from ordertrail.api import openapi
from ordertrail.api.hot_paths import HotPaths
from ordertrail.api.routes import (
    admin,
    devices,
    estimates,
    health,
    labels,
    live,
    notifications,
    orders,
    scans,
    tracking,
    webhooks,
)
from ordertrail.api.schemas import ScanBatchIn, ScanIn
from ordertrail.http import problems
from ordertrail.http.limits import BodySizeLimit
from ordertrail.notify.worker import Worker
from ordertrail.realtime.bus import EventBus, InProcessBus
from ordertrail.realtime.redis_bus import RedisBus
from ordertrail.secrets_file import secret_key
from ordertrail.services.context import Services, system_clock
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.estimating.sweep import run_sweeper
from ordertrail.services.scanning.ingestor import ScanIngestor
from ordertrail.services.tracking.cache import TrackingCache
from ordertrail.services.tracking.live import publisher
from ordertrail.services.tracking.public_context import PublicContext
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.schema import require_current_schema
from ordertrail.web import app as web
from ordertrail.web.station import routes as station


def create_app(settings: Settings, *, clock: Callable[[], datetime] = system_clock) -> ASGIApp:
    """The whole HTTP application for ``settings``. Nothing connects until the lifespan starts.

    ``clock`` is the time every use case sees (tests move it to make parcels late or stalled).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.resolved_database_url
        if settings.embedded:
            await asyncio.to_thread(upgrade, url)
        db = open_database(
            url, synchronous=settings.sqlite_synchronous, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        if not settings.embedded:
            await require_current_schema(db)  # PostgreSQL is upgraded by `ordertrail db upgrade`, never here
        eta = runtime_for(
            enabled=settings.estimates,
            holidays=settings.eta_holidays,
            stalled_default_hours=settings.eta_stalled_default_hours,
        )
        services = Services(db=db, clock=clock, estimates=eta)
        # Live updates: committed changes go to the bus (Redis between processes, else in-process).
        bus = _bus(settings)
        await bus.start()
        services.after_commit.append(publisher(bus))
        public = PublicContext(
            bus=bus,
            throttle=Throttle(settings.public_rate_limit),
            streams=StreamSlots(settings.max_streams_per_address),
            secret_key=await asyncio.to_thread(secret_key, settings),
            order_view_ttl=timedelta(seconds=settings.order_view_ttl_s),
            retry_ms=settings.sse_retry_ms,
        )
        ingestor = ScanIngestor(services, gather_s=settings.ingest_gather_ms / 1000)
        ingestor.start()
        app.state.settings = settings
        app.state.services = services
        app.state.ingestor = ingestor
        app.state.tracking_cache = TrackingCache()
        worker = _start_worker(services, settings)
        stop_sweeper = asyncio.Event()
        sweeper = None
        if worker is not None and eta is not None:  # the single-machine setup also runs the stalled job
            sweeper = asyncio.create_task(
                run_sweeper(services, interval=settings.eta_sweep_seconds, stop=stop_sweeper), name="ordertrail-sweeper"
            )
        app.state.public = public
        try:
            yield
        finally:
            await bus.close()  # ends every open stream, so the server can shut down
            await ingestor.stop()
            stop_sweeper.set()
            if sweeper is not None:
                await sweeper
            if worker is not None:
                await worker.stop()
            await db.close()

    app = FastAPI(
        title="ordertrail",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    problems.install(app)
    app.state.pairing_throttle = FailureThrottle(max_failures=settings.pairing_max_failures)
    for module in (health, scans, orders, estimates, tracking, live, labels, admin, devices, webhooks, notifications):
        app.include_router(module.router)
    web.install(app)
    station.install(app)
    openapi.install(app, {"ScanIn": ScanIn, "ScanBatchIn": ScanBatchIn})
    outer: ASGIApp = app
    if settings.hot_paths:
        outer = HotPaths(app, app, scan=scans.post_scan, batch=scans.post_scan_batch, tracking=tracking.hot_tracking)
    # Security headers go on every response, the hot paths' included.
    outer = web.secure(BodySizeLimit(outer, max_bytes=settings.max_body_bytes))
    if settings.bench_baseline_routes:
        outer = _with_baselines(outer)
    return outer


def _bus(settings: Settings) -> EventBus:
    if settings.redis_url is not None:
        return RedisBus(
            settings.redis_url,
            queue_size=settings.live_queue_size,
            keepalive_s=settings.sse_keepalive_s,
            poll_s=settings.live_poll_s,
        )
    return InProcessBus(
        queue_size=settings.live_queue_size,
        keepalive_s=settings.sse_keepalive_s,
        poll_s=settings.live_poll_s if settings.live_poll_always else None,
    )


def _start_worker(services: Services, settings: Settings) -> Worker | None:
    """The in-process delivery worker of the single-machine setup, woken after each commit with changes."""
    if not settings.worker_in_process:
        return None
    worker = Worker.from_settings(services, settings)

    async def wake(_: object) -> None:
        worker.wake()

    services.after_commit.append(wake)
    worker.start()
    return worker


def _with_baselines(app: ASGIApp) -> ASGIApp:
    """Bare Starlette routes in the same process, as the benchmarks' yardstick."""

    async def bare_get(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def bare_post(request: Request) -> Response:
        document = orjson.loads(await request.body())
        return Response(orjson.dumps({"received": len(document)}), status_code=201, media_type="application/json")

    bare = Starlette(routes=[Route("/__bench/get", bare_get), Route("/__bench/post", bare_post, methods=["POST"])])

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/__bench/"):
            await bare(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch
