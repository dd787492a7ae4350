"""Running ordertrail: the HTTP server, the delivery worker, and the schema."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ordertrail.adapters.metrics import MULTIPROC_ENV, prepare_directory
from ordertrail.cli.common import check_redis, err, load_settings, prepare_store, with_services
from ordertrail.cli.demo import demo_with_progress, print_demo
from ordertrail.runtime import background_jobs, open_runtime
from ordertrail.settings import Settings
from ordertrail.storage.migrate import upgrade

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
# `serve --demo`: a demo parcel's next scan this often, so its page changes while one watches (a step in 15 s,
# the warehouse to the door in about a minute and a half).
LIVE_DEMO_SECONDS = 15


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default ORDERTRAIL_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ORDERTRAIL_PORT or 8000).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes sharing the port. Across processes live updates need ORDERTRAIL_REDIS_URL; on"
            " SQLite each process has its own writer and SQLite serialises them.",
        ),
    ] = 1,
    demo: Annotated[int, typer.Option(help="First create this many demo orders (0: none).")] = 0,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run the HTTP server (upgrades the embedded store first; PostgreSQL needs `ordertrail db upgrade`)."""
    settings = load_settings()
    if host:
        os.environ["ORDERTRAIL_HOST"] = host
    if port:
        os.environ["ORDERTRAIL_PORT"] = str(port)
    if "ORDERTRAIL_PUBLIC_BASE_URL" not in os.environ and (host or port):
        # Links in demo output, emails and labels point at where this server actually listens.
        shown = "localhost" if (host or settings.host) in ("127.0.0.1", "0.0.0.0") else (host or settings.host)  # noqa: S104
        os.environ["ORDERTRAIL_PUBLIC_BASE_URL"] = f"http://{shown}:{port or settings.port}"
    settings = load_settings()
    prepare_store(settings)
    check_redis(settings)
    if workers > 1 and settings.redis_url is None:
        # The processes cannot see each other's commits: their streams read the store every live_poll_s instead.
        os.environ["ORDERTRAIL_LIVE_POLL_ALWAYS"] = "true"
        if settings.limit_backend == "auto":
            # Counters in each process's memory would multiply every limit by the process count.
            os.environ["ORDERTRAIL_LIMIT_BACKEND"] = "store"
        err.print(
            f"[yellow]note:[/yellow] {workers} processes without ORDERTRAIL_REDIS_URL: live streams get scans posted"
            f" to other processes by reading the store every {settings.live_poll_s:g} s (set ORDERTRAIL_REDIS_URL"
            " for instant updates).",
            highlight=False,
            soft_wrap=True,
        )
    if demo:
        live = _live_demo(workers)
        print_demo(with_services(lambda services: demo_with_progress(services, demo, live=live)), settings)
    made = _metrics_directory(workers) if settings.metrics else None
    try:
        _run_uvicorn(settings, workers=workers, access_log=access_log)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _metrics_directory(workers: int) -> Path | None:
    """With several processes, the directory they share their metrics in (PROMETHEUS_MULTIPROC_DIR): the one
    given, emptied of an earlier run's files, or a new one for this run (returned, to be removed at the end)."""
    if workers == 1:
        return None  # one process keeps its metrics in memory
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        prepare_directory(Path(given))
        return None
    made = Path(tempfile.mkdtemp(prefix="ordertrail-metrics-"))
    os.environ[MULTIPROC_ENV] = str(made)  # set before uvicorn starts the workers: they inherit it
    return made


def _run_uvicorn(settings: Settings, *, workers: int, access_log: bool) -> None:
    # Imported here, not at the top: every other command (keys, users, …) would pay for the web stack's imports.
    import uvicorn

    from ordertrail.http.deadlines import deadline_protocol

    uvicorn.run(
        "ordertrail.app:make_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",
        # httptools, with deadlines on headers and bodies: a slow client cannot hold a connection for ever. A
        # partial, not a class: uvicorn only calls it, and it pickles for the worker processes.
        http=deadline_protocol(  # type: ignore[arg-type]
            header_timeout_s=settings.http.header_timeout_s, body_timeout_s=settings.http.body_timeout_s
        ),
        timeout_keep_alive=settings.http.keepalive_s,  # uvicorn's 5 s is shorter than proxies' pools
        access_log=access_log,
        log_level="info",
        timeout_graceful_shutdown=10,
        # With --workers, a process not ready within this is killed and started again: on a busy machine a cold
        # start (imports, the store's schema check) can take longer than uvicorn's 5 s, and then never succeeds.
        timeout_worker_healthcheck=60,
        # X-Forwarded-For is believed only from the proxies ORDERTRAIL_FORWARDED_ALLOW_IPS names (none by default):
        # from anyone else it is a client choosing its own address, and its own rate-limit budget.
        proxy_headers=bool(settings.forwarded_allow_ips.strip()),
        forwarded_allow_ips=settings.forwarded_allow_ips.strip() or None,
    )


def _live_demo(workers: int) -> bool:
    """Whether ``serve --demo`` keeps a parcel moving (ORDERTRAIL_DEMO_LIVE_SECONDS, default 15 s; 0 turns it
    off). Only with one process: several would each move it."""
    if workers > 1:
        os.environ["ORDERTRAIL_DEMO_LIVE_SECONDS"] = "0"
        return False
    os.environ.setdefault("ORDERTRAIL_DEMO_LIVE_SECONDS", str(LIVE_DEMO_SECONDS))
    return load_settings().demo_live_seconds > 0


def worker() -> None:
    """Run a delivery worker (emails, webhooks) until SIGTERM or Ctrl-C; in-flight deliveries finish first."""
    settings = load_settings()
    prepare_store(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        # The stalled-parcel job runs alongside the deliveries (several workers may run it: claims are locked).
        async with open_runtime(settings) as runtime, background_jobs(runtime, wake_on_commit=False) as jobs:
            err.print(f"delivery worker {jobs.name} running; stop with Ctrl-C")
            await stop.wait()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured store (PostgreSQL: under an advisory lock, safe to run at once)."""
    settings = load_settings()
    prepare_store(settings, schema=False)
    upgrade(settings.resolved_database_url)
    typer.echo("schema is up to date")
