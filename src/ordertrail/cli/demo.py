"""Demo data: orders moving through realistic lifecycles, or the simulated network's delivered history."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from ordertrail.cli.common import err, load_settings, with_services
from ordertrail.demo.network import SimulatedDemo, run_simulated_demo
from ordertrail.demo.orders import DemoResult, run_demo
from ordertrail.demo.simulation import HOLIDAYS_SETTING
from ordertrail.services.context import Services
from ordertrail.settings import Settings


async def demo_with_progress(services: Services, orders: int, *, live: bool = False) -> DemoResult:
    with Progress(console=err, transient=False) as progress:
        task = progress.add_task("placing demo orders and scanning parcels", total=orders)
        return await run_demo(
            services, orders=orders, progress=lambda done: progress.update(task, completed=done), live=live
        )


def print_demo(result: DemoResult, settings: Settings) -> None:
    if result.existing:
        typer.echo(f"demo: {result.merchant} is already in this store; no orders added (new keys below)")
    else:
        typer.echo(f"demo: {result.merchant}, {len(result.tracking_numbers)} parcels, {result.scans} scans")
    for key in result.keys:
        typer.echo(f"  {key.role.value:<8} key: {key.plaintext}")
    if result.existing:
        typer.echo("  (keys from earlier runs still work; these are new, as keys are stored hashed)")
    base = settings.public_base_url.rstrip("/")
    typer.echo("parcels to try (live page; JSON at /api/v1/tracking/NUMBER):")
    width = max((len(s.what) for s in result.suggestions), default=0)
    for suggestion in result.suggestions:
        typer.echo(f"  {suggestion.what:<{width}}  {base}/t/{suggestion.tracking_number}")
    typer.echo(f"lookup forms: {base}/   scanner station: {base}/scan   labels: {base}/labels   API: {base}/docs")


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
        print_demo(with_services(lambda services: demo_with_progress(services, orders)), settings)
        return

    async def work(services: Services) -> SimulatedDemo:
        with Progress(console=err, transient=False) as progress:
            task = progress.add_task("replaying simulated journeys", total=parcels)
            return await run_simulated_demo(
                services, parcels=parcels, seed=seed, progress=lambda done: progress.update(task, completed=done)
            )

    made = with_services(work)
    typer.echo(f"simulated network seed {seed}: {made.parcels} parcels, {made.scans} scans ({made.merchant})")
    typer.echo(
        "its holidays, for `serve` and `eta backtest --from-store`: ORDERTRAIL_ETA_OFFICIAL_HOLIDAYS=false "
        f"ORDERTRAIL_ETA_HOLIDAYS={HOLIDAYS_SETTING}"
    )
