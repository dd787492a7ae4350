"""Delivery estimates from the command line: the backtest (the ``eta`` command group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ordertrail.cli.common import err, load_settings, with_services
from ordertrail.demo.backtest import markdown, run_backtest
from ordertrail.demo.history import delivered_journeys
from ordertrail.demo.simulation import SIMULATED_CALENDARS, simulate
from ordertrail.domain.estimating import DEFAULT_POLICY, EstimatePolicy
from ordertrail.services.estimating.calendars import calendar_book

eta_app = typer.Typer(help="Delivery estimates.", no_args_is_help=True)


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
    policy = EstimatePolicy(coverage=coverage, min_samples=min_samples)
    if from_store:
        settings = load_settings()
        journeys = with_services(delivered_journeys)
        if len(journeys) <= held_out:
            err.print(f"[red]error:[/red] the store has {len(journeys)} delivered parcels; more than {held_out} needed")
            raise typer.Exit(1)
        rules = settings.estimating
        calendars = calendar_book(
            holidays=rules.holidays, removed=rules.holidays_removed, official=rules.official_holidays
        )
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
