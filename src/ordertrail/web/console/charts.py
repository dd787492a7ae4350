"""Line charts drawn on the server as inline SVG (no script, no library): the geometry of one series over the
days or weeks of a period, for the template ``console/_chart.html``. A point with no value (nothing counted that
day) is a gap: the line stops and starts again, it is never drawn through zero."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

WIDTH: Final = 480
HEIGHT: Final = 200
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 30  # room for the axis labels


@dataclass(frozen=True, slots=True)
class Sample:
    """One day or week of a series: its label, its value (None: nothing counted), the value in words and the
    parcels it counted."""

    label: str
    value: float | None
    text: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    name: str  # "2026-11-02: 50.0 % (1 of 2)": the link's accessible name and tooltip
    link: str | None


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    segments: list[str]  # polyline points, one per run of consecutive values
    dots: list[Dot]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # x, label, text-anchor (the ends inward: the chart holds its labels)
    left: int
    right: int
    bottom: int


def _ceiling(value: float) -> float:
    """A round top for the axis at or above ``value``: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(float(step * power) for step in (1, 2, 5, 10) if step * power >= value)


def line_chart(
    chart_id: str, title: str, desc: str, samples: Sequence[Sample], *, top: float | None, unit: str
) -> Chart:
    """The chart of ``samples`` in order; ``top``: the axis's top value (None: rounded up from the largest);
    ``unit``: how an axis value is written ("%" multiplies by 100)."""
    values = [s.value for s in samples if s.value is not None]
    axis_top = top if top is not None else _ceiling(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(samples) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + (i * step if len(samples) > 1 else plot_w / 2), 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / axis_top), 1)

    def written(value: float) -> str:
        return f"{value * 100:.0f} %" if unit == "%" else f"{value:g} {unit}"

    segments: list[str] = []
    run: list[str] = []
    dots: list[Dot] = []
    for i, sample in enumerate(samples):
        if sample.value is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        run.append(f"{x(i)},{y(sample.value)}")
        dots.append(Dot(x(i), y(sample.value), f"{sample.label}: {sample.text}", sample.link))
    if run:
        segments.append(" ".join(run))
    ticks = [(y(axis_top * k / 2), written(axis_top * k / 2)) for k in (0, 1, 2)]
    shown = sorted({0, len(samples) // 2, len(samples) - 1}) if samples else []
    return Chart(
        chart_id,
        title,
        desc,
        WIDTH,
        HEIGHT,
        [s for s in segments if " " in s],  # a lone value is its dot alone
        dots,
        ticks,
        [(x(i), samples[i].label, _anchor(i, len(samples))) for i in shown],
        LEFT,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
    )


def _anchor(i: int, count: int) -> str:
    if count > 1 and i == 0:
        return "start"
    return "end" if count > 1 and i == count - 1 else "middle"
