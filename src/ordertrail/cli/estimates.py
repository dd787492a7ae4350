"""Delivery estimates from the command line (the ``eta`` command group): the backtest, and importing a shop's
delivery history as a warm start."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from ordertrail.cli.common import err, load_settings, with_services
from ordertrail.demo.backtest import Journey, markdown, run_backtest, tables
from ordertrail.demo.history import delivered_journeys
from ordertrail.demo.shop_history import write_history
from ordertrail.demo.simulation import SIMULATED_CALENDARS, simulate
from ordertrail.domain.estimating import DEFAULT_POLICY, CalendarBook, EstimatePolicy
from ordertrail.domain.estimating.history import HistoryFormatError, HistoryRead, iter_lines, read_history
from ordertrail.services.context import Services
from ordertrail.services.estimating.calendars import calendar_book
from ordertrail.services.estimating.importing import import_history
from ordertrail.settings import Settings

eta_app = typer.Typer(help="Delivery estimates.", no_args_is_help=True)
BAD_ROWS_SHOWN = 50  # more bad rows than this: the first ones are listed, then how many more


def _error(message: str) -> None:
    """An error line on stderr, unwrapped (paths are long) and without markup from file contents."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


def _configured_calendars(settings: Settings) -> CalendarBook:
    rules = settings.estimating
    return calendar_book(holidays=rules.holidays, removed=rules.holidays_removed, official=rules.official_holidays)


def _count_lines(path: Path) -> int:
    """The file's lines, counted in binary chunks (a second for a gigabyte): the progress bar's total."""
    lines = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 1)


def read_history_file(path: Path) -> HistoryRead:
    """Read a history CSV with a progress bar, report its bad rows on stderr; exit 1 if it cannot be read."""
    if not path.is_file():
        _error(f"{path} is not a file")
        raise typer.Exit(1)
    total = _count_lines(path)
    try:
        with path.open(newline="", encoding="utf-8") as lines, Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"reading {path.name}", total=total)
            read = read_history(iter_lines(iter(lines)), progress=lambda rows: progress.update(task, completed=rows))
    except HistoryFormatError as error:
        _error(f"{path}: {error}")
        raise typer.Exit(1) from error
    except UnicodeDecodeError as error:
        _error(f"{path} is not UTF-8 text ({error.reason} at byte {error.start})")
        raise typer.Exit(1) from error
    for bad in read.bad_rows[:BAD_ROWS_SHOWN]:
        err.print(f"{path.name}:{bad.line}: skipped: {bad.reason}", markup=False, highlight=False, soft_wrap=True)
    if len(read.bad_rows) > BAD_ROWS_SHOWN:
        err.print(f"… and {len(read.bad_rows) - BAD_ROWS_SHOWN} more bad rows")
    typer.echo(
        f"{path.name}: {read.rows} rows, {len(read.parcels)} delivered parcels, "
        f"{read.undelivered} not delivered (left aside), {len(read.bad_rows)} bad rows skipped"
    )
    return read


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a million-row history is millions of small objects (events,
    visits, counters) that live until the import ends, and each full collection walks all of them: about a
    third of the import's time. They hold no cycles, so reference counting frees them as before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@eta_app.command("import-history")
def eta_import_history(
    file: Annotated[Path, typer.Argument(help="A delivery history, one row per event (CSV, docs/eta.md).")],
) -> None:
    """Learn lane statistics from a shop's past deliveries: estimates are good from the first day."""
    load_settings()
    with _no_cycle_collection():
        _import_history_file(file)


def _import_history_file(file: Path) -> None:
    read = read_history_file(file)
    if not read.parcels:
        _error("no delivered parcel to learn from")
        raise typer.Exit(1)

    async def work(services: Services) -> int:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("learning", total=len(read.parcels))
            return await import_history(
                services, read.parcels, progress=lambda done: progress.update(task, completed=done)
            )

    try:
        learned = with_services(work)
    except typer.Exit:
        raise  # a RuntimeError too: the store's problem is already said, with its exit code
    except RuntimeError as error:
        _error(f"{error}")
        raise typer.Exit(1) from error
    typer.echo(f"learned {learned} delivered parcels into the lane statistics")


@eta_app.command("generate-history")
def eta_generate_history(
    file: Annotated[Path, typer.Argument(help="Where to write the history (CSV, the import-history format).")],
    parcels: Annotated[int, typer.Option(min=1, help="Delivered parcels to generate.")] = 23_000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same file.")] = 11,
) -> None:
    """Write a generated shop history with real-world structure (docs/eta.md): many sellers, three or four
    scans per parcel, a peak season, a strike week and drift."""
    with file.open("w", newline="", encoding="utf-8") as out:
        rows = write_history(out, parcels=parcels, seed=seed, calendars=calendar_book())
    typer.echo(f"{file}: {rows} rows, {parcels} parcels (seed {seed})")


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
    half_life: Annotated[
        float,
        typer.Option(min=0, help="Recency: a delivery this many days older weighs half as much (0: all alike)."),
    ] = DEFAULT_POLICY.half_life_days or 0.0,
    blend: Annotated[
        float,
        typer.Option(
            min=0, help="Blend finer lane levels in, each against this many observations of the coarser (0: off)."
        ),
    ] = DEFAULT_POLICY.blend_strength,
    calibrate: Annotated[
        bool, typer.Option(help="Remap each step's distributions by where recent deliveries fell in theirs.")
    ] = DEFAULT_POLICY.calibrate,
    stats_out: Annotated[Path | None, typer.Option(help="Write the learned lane statistics here (JSON).")] = None,
    from_store: Annotated[
        bool, typer.Option(help="Replay the store's delivered parcels (e.g. from `demo --simulated`) instead.")
    ] = False,
    history: Annotated[
        Path | None, typer.Option(help="Replay a delivery history file (CSV, as for import-history) instead.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every table as JSON here.")] = None,
) -> None:
    """Replay delivered parcels in time order and print how well the estimates were calibrated."""
    policy = EstimatePolicy(
        coverage=coverage,
        min_samples=min_samples,
        half_life_days=half_life or None,
        blend_strength=blend,
        calibrate=calibrate,
    )
    journeys: Sequence[Journey]
    if history is not None:
        settings = load_settings()
        journeys = read_history_file(history).parcels
        calendars = _configured_calendars(settings)
        source = f"history {history.name} ({len(journeys)} delivered parcels)"
    elif from_store:
        settings = load_settings()
        journeys = with_services(delivered_journeys)
        calendars = _configured_calendars(settings)
        source = f"store ({len(journeys)} delivered parcels)"
    else:
        journeys = simulate(parcels=parcels + held_out, seed=seed, per_day=per_day)
        calendars = SIMULATED_CALENDARS
        source = f"simulated network seed {seed}"
    if len(journeys) <= held_out:
        _error(f"{source} has {len(journeys)} delivered parcels; more than {held_out} needed")
        raise typer.Exit(1)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("replaying deliveries", total=len(journeys))
        report = run_backtest(
            journeys,
            held_out=held_out,
            calendars=calendars,
            policy=policy,
            progress=lambda done: progress.update(task, completed=done),
        )
    decay = f", half-life {half_life:g} days" if half_life else ""
    decay += f", blend {blend:g}" if blend else ""
    decay += ", calibrated" if calibrate else ""
    typer.echo(f"{source}; window coverage {coverage:.2f}, min samples {min_samples}{decay}")
    typer.echo(markdown(report))
    if stats_out is not None:
        stats_out.write_text(json.dumps(report.stats.to_dict()))
        typer.echo(f"lane statistics written to {stats_out}")
    if json_out is not None:
        json_out.write_text(json.dumps(tables(report), indent=2, ensure_ascii=False))
        typer.echo(f"tables written to {json_out}")
