"""The HTTP application: the API routes and the pages over one server runtime (``runtime.open_server``).

``create_app(settings)`` builds the app; its lifespan opens the runtime, so nothing connects before the server
starts. ``make_app`` is what ``ordertrail serve`` hands to uvicorn in every server process.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import orjson
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ordertrail.adapters.metrics import process_exited
from ordertrail.api import openapi
from ordertrail.api.hot_paths import HotPaths
from ordertrail.api.routes import (
    admin,
    analytics,
    analytics_kpis,
    analytics_trends,
    audit,
    courier_mappings,
    couriers,
    devices,
    estimates,
    health,
    label_prints,
    labels,
    live,
    merchants,
    metrics,
    notifications,
    orders,
    parcel_detail,
    parcels,
    scans,
    tracking,
    webhooks,
)
from ordertrail.api.schemas.couriers import AggregatorWebhookIn, CourierEventBatchIn, HandoverBatchIn
from ordertrail.api.schemas.scanning import ScanBatchIn, ScanIn
from ordertrail.http import problems
from ordertrail.http.limits import BodySizeLimit, JsonBodies
from ordertrail.http.observing import RequestObserver
from ordertrail.http.security import SecurityHeaders
from ordertrail.http.stopping import on_stop_signal
from ordertrail.runtime import metrics_for, open_server
from ordertrail.services.ports import system_clock
from ordertrail.settings import Settings
from ordertrail.web import api_docs
from ordertrail.web import app as web
from ordertrail.web.station import routes as station


def create_app(settings: Settings, *, clock: Callable[[], datetime] = system_clock) -> ASGIApp:
    """The whole HTTP application for ``settings``. Nothing connects until the lifespan starts.

    ``clock`` is the time every use case sees (tests move it to make parcels late or stalled).
    """

    recorder = metrics_for(settings)  # counted into by the requests' observer and the runtime alike

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_server(settings, clock=clock, metrics=recorder) as runtime:
            app.state.runtime = runtime  # read only through http/deps.py
            # On SIGTERM the streams end at once (uvicorn would wait for them up to its grace period, then
            # cancel them mid-body); requests in flight finish as usual.
            with on_stop_signal(runtime.bus.drain):
                yield
        # Under `serve --workers N` this process's open-stream gauge stops counting (counters stay: they are sums).
        process_exited(os.getpid())

    app = FastAPI(
        title="ordertrail",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # /docs and /redoc come from web.api_docs: served from the package, no CDN
        redoc_url=None,
        # Operation ids are the handlers' names (create_order, record_scan_batch): good method names in generated
        # clients, instead of FastAPI's path-derived ones.
        generate_unique_id_function=lambda route: route.name,
    )
    problems.install(app)
    for module in (
        health,
        scans,
        orders,
        parcels,
        parcel_detail,
        estimates,
        tracking,
        live,
        labels,
        label_prints,
        admin,
        devices,
        webhooks,
        merchants,
        notifications,
        audit,
        couriers,
        courier_mappings,
        analytics,
        analytics_kpis,
        analytics_trends,
        metrics,
    ):
        app.include_router(module.router)
    web.install(app)
    api_docs.install(app)
    station.install(app)
    openapi.install(
        app,
        {
            "ScanIn": ScanIn,
            "ScanBatchIn": ScanBatchIn,
            "CourierEventBatchIn": CourierEventBatchIn,
            "HandoverBatchIn": HandoverBatchIn,
            "AggregatorWebhookIn": AggregatorWebhookIn,
        },
        server_url=settings.public_base_url,
    )
    outer: ASGIApp = app
    if settings.http.hot_paths:
        outer = HotPaths(
            app, app, scan=scans.record_scan, batch=scans.record_scan_batch, tracking=tracking.hot_tracking
        )
    # Security headers go on every response, the hot paths' included.
    # Bodies are checked in front of every route alike: their size, then (on the API) that they are JSON.
    outer = JsonBodies(
        outer,
        prefix="/api/",
        other_bodies=("/api/v1/decode",),  # camera frames: JPEG or PNG
        other_patterns=(re.compile(r"/api/v1/merchants/[^/]+/logo"),),  # a logo's image bytes
    )
    outer = SecurityHeaders(
        BodySizeLimit(outer, max_bytes=settings.http.max_body_bytes),
        private_prefixes=web.PRIVATE_PREFIXES,
        docs_paths=api_docs.PATHS,
    )
    if settings.http.bench_baseline_routes:
        outer = _with_baselines(outer)
    # Outermost: what it counts and logs is what the client got (a 413 from the size limit included).
    return RequestObserver(outer, metrics=recorder, log_format=settings.http.request_log)


def tune_gc() -> None:
    """The cyclic garbage collector as server processes run it, once their long-lived objects are built."""
    # Everything imported and built so far lives as long as the process. Frozen, the cyclic garbage collector
    # stops walking it: under load a full collection runs about once a second, and took ~80 ms before this
    # (a pause for every request in flight), ~24 ms after (docs/architecture.md).
    gc.collect()
    gc.freeze()
    # A young collection every 700 net allocations (the default) ran dozens of times per batch of 1,000 scans,
    # and each promoted the batch's objects still in flight, so full collections followed: about a third of the
    # batch path's CPU (bench/batch_path.py). Every 20,000, most of a group's objects die before they are walked:
    # over 5,000 batch scans, 6 young collections instead of ~230 of all generations, 250 -> 80 ms of GC (measured
    # with gc.callbacks on the shared 2-core machine, where one young collection of that size took ~14 ms).
    gc.set_threshold(20_000, 10, 10)


def make_app() -> ASGIApp:
    """Build the app from ``ORDERTRAIL_*`` variables (uvicorn calls this in each server process)."""
    app = create_app(Settings())
    tune_gc()
    return app


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
