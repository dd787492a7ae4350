"""The backtest's figures: running tallies, and the tables printed (Markdown) or written (JSON).

Three tables, each figure named the same in both forms: ``by_days_out`` (estimates 1, 2, 3+ days before the
delivery), ``by_step`` (the estimate made when each step began: what the customer saw from then on) and
``promise`` (the shop's promise against our window's ``latest``, where the history has promises).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

from ordertrail.domain.estimating.stats import LaneStats

HORIZONS: Final = ("1", "2", "3+")
ALL: Final = "all"
# The steps whose start the customer notices, in journey order, and how the table names them.
STEPS: Final = {
    "order_placed": "order placed",
    "dispatched": "dispatched",
    "in_transit.1": "first hub",
    "out_for_delivery": "out for delivery",
}
LANE_TABLE_MAX: Final = 60  # more lanes than this (a real shop's history): the per-lane table is left out


@dataclass(slots=True)
class Tally:
    """Running totals for one group of estimates."""

    estimates: int = 0
    inside: int = 0
    abs_error_days: int = 0
    width_days: int = 0
    narrow: int = 0  # windows of at most two delivery days
    inside_narrow: int = 0  # inside a window of at most two delivery days (both at once)
    defaults: int = 0  # estimates that had no history to go on
    promised: int = 0  # estimates of parcels with a shop promise (the promise columns count only these)
    by_latest: int = 0  # delivered on or before the window's latest date (of those with a promise)
    latest_slack_days: int = 0  # latest − delivery, calendar days
    by_promise: int = 0
    promise_slack_days: int = 0  # promise − delivery, calendar days

    def add(self, *, inside: bool, error: int, width: int, default: bool) -> None:
        self.estimates += 1
        self.inside += inside
        self.abs_error_days += abs(error)
        self.width_days += width
        self.narrow += width <= 2
        self.inside_narrow += inside and width <= 2
        self.defaults += default

    def add_promise(self, *, latest_slack: int, promise_slack: int) -> None:
        """Slack of our latest date and of the shop's promise, for one estimate of a parcel with a promise."""
        self.promised += 1
        self.by_latest += latest_slack >= 0
        self.latest_slack_days += latest_slack
        self.by_promise += promise_slack >= 0
        self.promise_slack_days += promise_slack

    @staticmethod
    def _share(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    def share_inside(self) -> float:
        return self._share(self.inside, self.estimates)

    def mean_error(self) -> float:
        return self._share(self.abs_error_days, self.estimates)

    def mean_width(self) -> float:
        return self._share(self.width_days, self.estimates)

    def share_defaults(self) -> float:
        return self._share(self.defaults, self.estimates)

    def share_narrow(self) -> float:
        return self._share(self.narrow, self.estimates)

    def share_inside_narrow(self) -> float:
        return self._share(self.inside_narrow, self.estimates)

    def share_by_latest(self) -> float:
        return self._share(self.by_latest, self.promised)

    def share_by_promise(self) -> float:
        return self._share(self.by_promise, self.promised)

    def mean_latest_slack(self) -> float:
        return self._share(self.latest_slack_days, self.promised)

    def mean_promise_slack(self) -> float:
        return self._share(self.promise_slack_days, self.promised)


@dataclass(slots=True)
class BacktestReport:
    """Calibration by horizon (days out), by step, against the shop's promise, and per lane."""

    history: int
    held_out: int
    overall: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    steps: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    lanes: dict[str, dict[str, Tally]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))
    parcels_per_lane: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stats: LaneStats = field(default_factory=LaneStats)


def _days_out_rows(report: BacktestReport) -> list[dict[str, Any]]:
    rows = []
    for bucket in (*HORIZONS, ALL):
        tally = report.overall[bucket]
        rows.append(
            {
                "days out": bucket,
                "estimates": tally.estimates,
                "inside window": round(tally.share_inside(), 4),
                "mean abs error (days)": round(tally.mean_error(), 2),
                "mean width (days)": round(tally.mean_width(), 2),
                "width ≤ 2 days": round(tally.share_narrow(), 4),
                "inside a window ≤ 2 days": round(tally.share_inside_narrow(), 4),
                "no history": round(tally.share_defaults(), 4),
            }
        )
    return rows


def _step_rows(report: BacktestReport) -> list[dict[str, Any]]:
    rows = []
    for step, label in STEPS.items():
        tally = report.steps.get(step)
        if tally is None or not tally.estimates:
            continue
        row: dict[str, Any] = {
            "step": label,
            "estimates": tally.estimates,
            "inside window": round(tally.share_inside(), 4),
            "mean width (days)": round(tally.mean_width(), 2),
            "mean abs error (days)": round(tally.mean_error(), 2),
            "no history": round(tally.share_defaults(), 4),
        }
        rows.append(row)
    return rows


def _promise_rows(report: BacktestReport) -> list[dict[str, Any]]:
    """The shop's promise once (judged on the parcels estimated at order placement), then our latest per step."""
    rows: list[dict[str, Any]] = []
    first = next((report.steps[s] for s in STEPS if s in report.steps and report.steps[s].promised), None)
    if first is None:
        return rows
    rows.append(
        {
            "date": "shop's promise",
            "parcels": first.promised,
            "delivered by it": round(first.share_by_promise(), 4),
            "mean slack (days)": round(first.mean_promise_slack(), 2),
        }
    )
    for step, label in STEPS.items():
        tally = report.steps.get(step)
        if tally is None or not tally.promised:
            continue
        rows.append(
            {
                "date": f"our latest, at {label}",
                "parcels": tally.promised,
                "delivered by it": round(tally.share_by_latest(), 4),
                "mean slack (days)": round(tally.mean_latest_slack(), 2),
                "shop's promise, same parcels": round(tally.share_by_promise(), 4),
                "its slack (days)": round(tally.mean_promise_slack(), 2),
            }
        )
    return rows


def tables(report: BacktestReport) -> dict[str, list[dict[str, Any]]]:
    """Every table as rows of named figures (``--json``): shares are fractions, days are means."""
    return {"by_days_out": _days_out_rows(report), "by_step": _step_rows(report), "promise": _promise_rows(report)}


def _cell(name: str, value: Any) -> str:
    """Means of days with two decimals, shares (every other figure that is a fraction) as percentages."""
    if isinstance(value, float) and name.endswith("(days)"):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.1%}"
    return str(value)


def _markdown_table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    names = list(rows[-1])
    lines = ["| " + " | ".join(names) + " |", "|---|" + "---:|" * (len(names) - 1)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(n, row[n]) if n in row else "–" for n in names) + " |")
    return lines


def markdown(report: BacktestReport) -> str:
    """The report as Markdown tables: by days out, by step, the promise comparison, then per lane."""
    lines = [
        f"history: {report.history} parcels, held out: {report.held_out} parcels "
        f"({report.overall[ALL].estimates} estimates)",
        "",
        *_markdown_table(_days_out_rows(report)),
    ]
    by_step = _step_rows(report)
    if by_step:
        lines += ["", "estimates made when each step began:", "", *_markdown_table(by_step)]
    promise = _promise_rows(report)
    if promise:
        lines += ["", "against the shop's promise (slack: date − delivery, calendar days):", ""]
        lines += _markdown_table(promise)
    if len(report.lanes) <= LANE_TABLE_MAX:
        lines += [
            "",
            "| lane | parcels | inside 1 d | inside 2 d | inside 3+ d | mean abs error (days) | mean width (days) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for lane in sorted(report.lanes):
            tallies = report.lanes[lane]
            cells = [f"{tallies[b].share_inside():.0%}" if tallies[b].estimates else "–" for b in HORIZONS]
            lines.append(
                f"| {lane} | {report.parcels_per_lane[lane]} | {' | '.join(cells)} "
                f"| {tallies[ALL].mean_error():.2f} | {tallies[ALL].mean_width():.2f} |"
            )
    return "\n".join(lines)
