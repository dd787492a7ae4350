"""The weekly report: each opted-in merchant's headline figures of the last full week, queued as one email per
recipient through the outbox, once per merchant and week whatever the number of processes running the job."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ordertrail.domain.analytics.breakdowns import By, Group
from ordertrail.domain.analytics.drilldown import Drilldown
from ordertrail.domain.analytics.figures import Figures, Rate
from ordertrail.domain.analytics.kpis import OUTCOMES, Kpi
from ordertrail.domain.analytics.period import Period
from ordertrail.domain.analytics.weekly import WEEKLY_REPORT, last_full_week, late_count, worst
from ordertrail.domain.notifying.outbox import NewMessage
from ordertrail.domain.notifying.policy import Channel
from ordertrail.services.analytics.delivery import delivery_breakdown
from ordertrail.services.notifying.outbox import new_message_id
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.analytics import weekly_reports as report_store
from ordertrail.storage.notifying import outbox as outbox_store

log = logging.getLogger(__name__)

HEADLINE_RATES = (
    (Kpi.ON_TIME_VS_PROMISE, "On time vs promise"),
    (Kpi.FIRST_ATTEMPT, "First-attempt delivery"),
    (Kpi.EXCEPTIONS, "Exception rate"),
)


def _list_link(base: str, params: list[tuple[str, str]]) -> str:
    return f"{base}/console/parcels?{urlencode(params)}"


def _rate(base: str, kpi: Kpi, rate: Rate, period: Period, extra: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "percent": None if rate.value is None else f"{rate.value * 100:.1f} %",
        "numerator_link": _list_link(base, Drilldown(kpi, period, OUTCOMES[kpi][0]).params() + extra),
        "denominator_link": _list_link(base, Drilldown(kpi, period).params() + extra),
    }


def _hours(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _worst_rows(base: str, groups: list[Group], period: Period) -> list[dict[str, Any]]:
    rows = []
    for group in worst(groups):
        kpi = Kpi.ON_TIME_VS_PROMISE
        rows.append(
            {
                "origin": group.key.get("origin") or "unknown origin",
                "country": group.key.get("destination_country"),
                "late": late_count(group),
                "late_link": _list_link(base, Drilldown(kpi, period, OUTCOMES[kpi][1]).params() + group.params),
                **_rate(base, kpi, group.figures.rates[kpi], period, group.params),
            }
        )
    return rows


def report_context(
    base: str, merchant_id: int, name: str, period: Period, today: date, total: Figures,
    lanes: list[Group], facilities: list[Group],
) -> dict[str, Any]:  # fmt: skip
    """What the report's templates show, frozen when it is queued; every figure with its console list's link."""
    transit = total.transits[Kpi.TRANSIT_FROM_DISPATCH]
    as_of = Drilldown(Kpi.LATE_OPEN, period, as_of=today)
    return {
        "merchant_id": merchant_id,
        "merchant_name": name,
        "week_start": period.start.isoformat(),
        "week_end": period.end.isoformat(),
        "rates": [{"label": label, **_rate(base, kpi, total.rates[kpi], period, [])} for kpi, label in HEADLINE_RATES],
        "transit": {
            "count": transit.count,
            "p50_hours": _hours(transit.p50),
            "p90_hours": _hours(transit.p90),
            "link": _list_link(base, Drilldown(Kpi.TRANSIT_FROM_DISPATCH, period).params()),
        },
        "late_open": {"count": total.late_open, "as_of": today.isoformat(), "link": _list_link(base, as_of.params())},
        "worst_lanes": _worst_rows(base, lanes, period),
        "worst_facilities": _worst_rows(base, facilities, period),
        "analytics_link": f"{base}/console/analytics?{urlencode({'from': period.start, 'to': period.end})}",
    }


def _queue_tx(
    connection: Connection,
    *,
    merchant_id: int,
    recipients: list[str],
    period: Period,
    context: dict[str, Any],
    now: datetime,
) -> bool:
    """Mark the week sent and write one outbox row per recipient, in one transaction; False when already sent."""
    if not report_store.mark_sent(connection, merchant_id, period.start, at=now):
        return False
    payload = json.dumps(context)
    key = f"report:{merchant_id}:{period.start.isoformat()}"
    messages = [
        NewMessage(
            message_id=new_message_id(),
            channel=Channel.EMAIL.value,
            event_type=WEEKLY_REPORT,
            merchant_id=merchant_id,
            recipient=address,
            payload=payload,
            ordering_key=key,
        )
        for address in recipients
    ]
    outbox_store.add_messages(connection, messages, now=now)
    return True


async def send_weekly_reports(services: Ports, *, base_url: str) -> int:
    """Queue the last full week's report of every opted-in merchant not sent it yet. Returns merchants queued."""
    base = base_url.rstrip("/")
    period = last_full_week(services.clock())
    closed_at = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=UTC)
    due = await services.db.read(lambda c: report_store.due_merchants(c, period.start, closed_at))
    queued = 0
    for merchant_id, recipients in due:
        scope = frozenset({merchant_id})
        total, lanes = await delivery_breakdown(services, period=period, merchant_ids=scope, by=By.LANE)
        _, facilities = await delivery_breakdown(services, period=period, merchant_ids=scope, by=By.FACILITY)
        names = await services.db.read(partial(merchant_store.merchant_names, ids=[merchant_id]))
        context = report_context(
            base, merchant_id, names[merchant_id], period, total.as_of, total.total, lanes, facilities
        )
        write = partial(_queue_tx, merchant_id=merchant_id, recipients=recipients, period=period, context=context,
                        now=services.clock())  # fmt: skip
        try:
            queued += await services.db.write(write)
        except IntegrityError:  # another process queued this merchant's week at the same moment
            continue
    return queued


async def run_weekly_reports(services: Ports, *, base_url: str, interval: float, stop: asyncio.Event) -> None:
    """Queue the due reports every ``interval`` seconds until ``stop`` is set (the worker and ``serve`` run this)."""
    while not stop.is_set():
        try:
            await send_weekly_reports(services, base_url=base_url)
        except Exception:  # the store is busy or away: try again next time
            log.exception("weekly reports failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
