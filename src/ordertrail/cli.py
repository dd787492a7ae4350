"""The ``ordertrail`` command: serve, worker, db, merchants, keys, demo, labels, eta."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ordertrail.demo.backtest import markdown, run_backtest
from ordertrail.demo.history import delivered_journeys
from ordertrail.demo.network import SimulatedDemo, run_simulated_demo
from ordertrail.demo.orders import DemoResult, run_demo
from ordertrail.demo.simulation import HOLIDAYS_SETTING, SIMULATED_CALENDARS, simulate
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import OrdertrailError
from ordertrail.domain.estimating import DEFAULT_POLICY, CalendarBook, EtaPolicy
from ordertrail.domain.estimating.calendar import parse_holidays
from ordertrail.labels import Layout
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.accounts import pairing as pairing_service
from ordertrail.services.context import Services
from ordertrail.services.estimating.runtime import runtime_for
from ordertrail.services.estimating.sweep import run_sweeper
from ordertrail.services.orders import labels as label_service
from ordertrail.settings import Settings
from ordertrail.storage.accounts.merchants import list_merchants
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.schema import StoreProblem, check_store

T = TypeVar("T")

app = typer.Typer(help="ordertrail: order tracking from scan to doorstep.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
merchants_app = typer.Typer(help="Merchants.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(merchants_app, name="merchants")
app.add_typer(keys_app, name="keys")
eta_app = typer.Typer(help="Delivery estimates.", no_args_is_help=True)
app.add_typer(eta_app, name="eta")

err = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValidationError as error:
        for item in error.errors():
            name = "ORDERTRAIL_" + "_".join(str(p) for p in item["loc"]).upper()
            err.print(f"[red]invalid setting {name}[/red]: {item['msg']}")
        raise typer.Exit(2) from error


def prepare_store(settings: Settings, *, schema: bool = True) -> None:
    """The embedded store is upgraded in place; PostgreSQL must be reachable and (``schema``) at head.

    Problems end the command with one line naming the setting, and exit code 2.
    """
    url = settings.resolved_database_url
    if settings.embedded:
        upgrade(url)
        return
    try:
        asyncio.run(check_store(url, schema=schema))
    except StoreProblem as problem:
        err.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def check_redis(settings: Settings) -> None:
    """Warn (never refuse: Redis is not on the write path) when ORDERTRAIL_REDIS_URL does not answer."""
    if settings.redis_url is None:
        return
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        err.print(
            f"[yellow]warning:[/yellow] ORDERTRAIL_REDIS_URL: Redis does not answer ({error}); live updates between"
            " processes fall back to reading the store until it does",
            highlight=False,
            soft_wrap=True,
        )


def with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` against an up-to-date store, turning domain errors into a message and exit code 1."""
    settings = load_settings()
    prepare_store(settings)

    async def main() -> T:
        url = settings.resolved_database_url
        db = open_database(
            url, synchronous=settings.sqlite_synchronous, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            estimates = runtime_for(
                enabled=settings.estimates,
                holidays=settings.eta_holidays,
                stalled_default_hours=settings.eta_stalled_default_hours,
            )
            return await work(Services(db=db, estimates=estimates))
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except OrdertrailError as error:
        err.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(1) from error


@app.command()
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
    import uvicorn

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
        err.print(
            f"[yellow]note:[/yellow] {workers} processes without ORDERTRAIL_REDIS_URL: live streams get scans posted"
            f" to other processes by reading the store every {settings.live_poll_s:g} s (set ORDERTRAIL_REDIS_URL"
            " for instant updates).",
            highlight=False,
            soft_wrap=True,
        )
    if demo:
        _print_demo(with_services(lambda services: _demo_with_progress(services, demo)), settings)
    uvicorn.run(
        "ordertrail.api.main:make_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        log_level="info",
        timeout_graceful_shutdown=10,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@app.command()
def worker() -> None:
    """Run a delivery worker (emails, webhooks) until SIGTERM or Ctrl-C; in-flight deliveries finish first."""
    import signal

    from ordertrail.notify.worker import Worker

    settings = load_settings()
    prepare_store(settings)

    async def main() -> None:
        db = open_database(
            settings.resolved_database_url,
            synchronous=settings.sqlite_synchronous,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        estimates = runtime_for(
            enabled=settings.estimates,
            holidays=settings.eta_holidays,
            stalled_default_hours=settings.eta_stalled_default_hours,
        )
        services = Services(db=db, estimates=estimates)
        delivery_worker = Worker.from_settings(services, settings)
        err.print(f"delivery worker {delivery_worker.name} running; stop with Ctrl-C")
        try:
            # The stalled-parcel job runs alongside the deliveries (several workers may run it: claims are locked).
            await asyncio.gather(
                delivery_worker.run_until(stop),
                run_sweeper(services, interval=settings.eta_sweep_seconds, stop=stop)
                if estimates is not None
                else stop.wait(),
            )
        finally:
            await db.close()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured store (PostgreSQL: under an advisory lock, safe to run at once)."""
    settings = load_settings()
    prepare_store(settings, schema=False)
    upgrade(settings.resolved_database_url)
    typer.echo("schema is up to date")


@merchants_app.command("create")
def merchants_create(name: str) -> None:
    """Create a merchant."""
    merchant_id = with_services(lambda services: merchant_service.create_merchant(services, name=name))
    typer.echo(f"created merchant {name!r} (id {merchant_id})")


@merchants_app.command("list")
def merchants_list() -> None:
    """List merchants."""
    rows = with_services(lambda services: services.db.read(list_merchants))
    table = Table("id", "name", "created")
    for merchant_id, name, created_at in rows:
        table.add_row(str(merchant_id), name, created_at.isoformat(timespec="seconds"))
    Console().print(table)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, merchant or scanner")],
    name: Annotated[str, typer.Option(help="Who or what uses the key (a person, a device).")],
    merchant: Annotated[str | None, typer.Option(help="Merchant keys: the merchant's name.")] = None,
    facility: Annotated[str | None, typer.Option(help="Scanner keys: the facility every scan records.")] = None,
) -> None:
    """Create an API key. The key is printed once, alone on the last line; only its hash is kept."""
    created = with_services(
        lambda services: key_service.create_key(services, role=role, name=name, merchant=merchant, facility=facility)
    )
    typer.echo(f"created {created.role.value} key {created.id} ({created.name}); store it now, it is not shown again:")
    typer.echo(created.plaintext)


@keys_app.command("pair")
def keys_pair(
    name: Annotated[str, typer.Option(help="The device's name (e.g. 'Dock 3 handheld').")],
    facility: Annotated[str | None, typer.Option(help="The facility every scan of the device records.")] = None,
    minutes: Annotated[int, typer.Option(min=1, max=24 * 60, help="How long the code stays valid.")] = 10,
) -> None:
    """Create a one-time pairing code: type it on the device at /scan to give it its own scanner key."""
    code = with_services(
        lambda services: pairing_service.create_pairing_code(services, name=name, facility=facility, minutes=minutes)
    )
    expires = code.expires_at.astimezone().isoformat(timespec="minutes")
    typer.echo(f"pairing code for {code.name!r}, valid once until {expires}; type it on the device at /scan:")
    typer.echo(code.display)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    rows = with_services(key_service.list_keys)
    table = Table("id", "prefix", "role", "name", "merchant", "facility", "created", "revoked")
    for key in rows:
        table.add_row(
            str(key.id),
            key.display_prefix + "…",
            key.role.value,
            key.name,
            key.merchant or "",
            key.facility or "",
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    Console(width=160).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key; it stops working at once, also in a running server."""
    with_services(lambda services: key_service.revoke_key(services, key_id=key_id))
    typer.echo(f"revoked key {key_id}")


async def _demo_with_progress(services: Services, orders: int) -> DemoResult:
    with Progress(console=err, transient=False) as progress:
        task = progress.add_task("placing demo orders and scanning parcels", total=orders)
        return await run_demo(services, orders=orders, progress=lambda done: progress.update(task, completed=done))


def _print_demo(result: DemoResult, settings: Settings) -> None:
    typer.echo(f"demo: {result.merchant}, {len(result.tracking_numbers)} parcels, {result.scans} scans")
    for key in result.keys:
        typer.echo(f"  {key.role.value:<8} key: {key.plaintext}")
    base = settings.public_base_url.rstrip("/")
    typer.echo("try these tracking numbers (live page, then JSON):")
    for number in result.tracking_numbers[:5]:
        typer.echo(f"  {base}/t/{number}   {base}/api/v1/tracking/{number}")
    typer.echo(f"lookup forms: {base}/   scanner station: {base}/scan   labels: {base}/labels   API: {base}/docs")


@app.command()
def demo(
    orders: Annotated[int, typer.Option(min=1, help="How many demo orders to create.")] = 25,
    simulated: Annotated[
        bool, typer.Option(help="Replay the simulated network's journeys instead (a history for estimates).")
    ] = False,
    parcels: Annotated[int, typer.Option(min=1, help="--simulated: how many delivered parcels to make.")] = 10_000,
    seed: Annotated[int, typer.Option(help="--simulated: the seed of the network and its traffic.")] = 7,
) -> None:
    """Create a demo merchant, keys, and orders whose parcels move through realistic lifecycles.

    With --simulated, replay PARCELS journeys of the simulated network (docs/eta.md) through the real use cases
    in time order, so the store holds a delivered history for `ordertrail eta backtest --from-store`.
    """
    settings = load_settings()
    if not simulated:
        _print_demo(with_services(lambda services: _demo_with_progress(services, orders)), settings)
        return

    async def work(services: Services) -> SimulatedDemo:
        with Progress(console=err, transient=False) as progress:
            task = progress.add_task("replaying simulated journeys", total=parcels)
            return await run_simulated_demo(
                services, parcels=parcels, seed=seed, progress=lambda done: progress.update(task, completed=done)
            )

    made = with_services(work)
    typer.echo(f"simulated network seed {seed}: {made.parcels} parcels, {made.scans} scans ({made.merchant})")
    typer.echo(f"its holidays, for `serve` and `eta backtest --from-store`: ORDERTRAIL_ETA_HOLIDAYS={HOLIDAYS_SETTING}")


@app.command()
def labels(
    order_numbers: Annotated[list[str], typer.Argument(metavar="ORDER_NUMBER...", help="The orders to print.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The PDF file to write.")] = Path("labels.pdf"),
    layout: Annotated[Layout, typer.Option(help="Label stock: 4x6 (inches) or a6.")] = Layout.FOUR_BY_SIX,
    merchant: Annotated[str | None, typer.Option(help="Only this merchant's orders.")] = None,
) -> None:
    """Write the shipping labels of every parcel of the given orders to one PDF, a page per parcel."""
    settings = load_settings()
    operator = Principal(key_id=None, role=Role.ADMIN, name="cli")

    async def work(services: Services) -> int:
        found = await label_service.order_labels(
            services,
            principal=operator,
            order_numbers=order_numbers,
            public_base_url=settings.public_base_url,
            merchant=merchant,
        )
        output.write_bytes(await label_service.render(found, layout))
        return len(found)

    pages = with_services(work)
    typer.echo(f"wrote {pages} label{'s' if pages != 1 else ''} to {output}")


@eta_app.command("backtest")
def eta_backtest(
    parcels: Annotated[int, typer.Option(min=1, help="Delivered parcels of history to learn from first.")] = 10_000,
    held_out: Annotated[
        int, typer.Option(min=1, help="Parcels placed after the history, estimated and scored.")
    ] = 2_000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated network and its traffic.")] = 7,
    per_day: Annotated[float, typer.Option(min=1, help="Parcels placed per day on the simulated network.")] = 120.0,
    coverage: Annotated[
        float, typer.Option(min=0.5, max=0.99, help="Share of past outcomes each window must hold.")
    ] = DEFAULT_POLICY.coverage,
    min_samples: Annotated[
        int, typer.Option(min=1, help="Observations a lane level needs before it is used.")
    ] = DEFAULT_POLICY.min_samples,
    stats_out: Annotated[Path | None, typer.Option(help="Write the learned lane statistics here (JSON).")] = None,
    from_store: Annotated[
        bool, typer.Option(help="Replay the store's delivered parcels (e.g. from `demo --simulated`) instead.")
    ] = False,
) -> None:
    """Replay delivered parcels in time order and print how well the estimates were calibrated."""
    policy = EtaPolicy(coverage=coverage, min_samples=min_samples)
    if from_store:
        settings = load_settings()
        journeys = with_services(delivered_journeys)
        if len(journeys) <= held_out:
            err.print(f"[red]error:[/red] the store has {len(journeys)} delivered parcels; more than {held_out} needed")
            raise typer.Exit(1)
        calendars = CalendarBook(holidays=parse_holidays(settings.eta_holidays))
        source = f"store ({len(journeys)} delivered parcels)"
    else:
        journeys = simulate(parcels=parcels + held_out, seed=seed, per_day=per_day)
        calendars = SIMULATED_CALENDARS
        source = f"simulated network seed {seed}"
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("replaying deliveries", total=len(journeys))
        report = run_backtest(
            journeys,
            held_out=held_out,
            calendars=calendars,
            policy=policy,
            progress=lambda done: progress.update(task, completed=done),
        )
    typer.echo(f"{source}; window coverage {coverage:.2f}, min samples {min_samples}")
    typer.echo(markdown(report))
    if stats_out is not None:
        stats_out.write_text(json.dumps(report.stats.to_dict()))
        typer.echo(f"lane statistics written to {stats_out}")


def main() -> None:
    app()
