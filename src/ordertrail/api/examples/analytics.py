"""Example answers of the analytics routes, for the document's responses: Northwind's figures over the days of the
story in api/examples/common.py."""

from __future__ import annotations

from typing import Any


def _trend_rate(day: str, kpi: str, outcome: str, numerator: int, denominator: int) -> dict[str, Any]:
    link = f"/api/v1/parcels?kpi={kpi}&outcome={outcome}&from={day}&to={day}"
    return {
        "value": numerator / denominator if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
        "parcels": link,
        "denominator_parcels": f"/api/v1/parcels?kpi={kpi}&from={day}&to={day}",
    }


def _trend_point(day: str, on_time: tuple[int, int], first: tuple[int, int], exceptions: tuple[int, int],
                 transit: tuple[int, float | None, int | None]) -> dict[str, Any]:  # fmt: skip
    return {
        "from": day,
        "to": day,
        "label": day,
        "on_time_vs_promise": _trend_rate(day, "on_time_vs_promise", "on_time", *on_time),
        "first_attempt": _trend_rate(day, "first_attempt", "first_attempt", *first),
        "exceptions": _trend_rate(day, "exceptions", "exception", *exceptions),
        "transit_from_dispatch": {
            "parcels_counted": transit[0],
            "p50_hours": transit[1],
            "p50_days": transit[2],
            "parcels": f"/api/v1/parcels?kpi=transit_from_dispatch&from={day}&to={day}",
        },
    }


# Two days of Northwind's trends: the 26th dispatched 30 and delivered none; on the 27th, 40
# delivered (38 by their promise), 12 dispatched with one exception.
TRENDS = {
    "from": "2026-11-26",
    "to": "2026-11-27",
    "as_of": "2026-12-01",
    "merchant": None,
    "interval": "day",
    "points": [
        _trend_point("2026-11-26", (0, 0), (0, 0), (0, 30), (0, None, None)),
        _trend_point("2026-11-27", (38, 40), (35, 36), (1, 12), (40, 26.5, 1)),
    ],
}
