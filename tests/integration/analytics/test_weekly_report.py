"""The weekly report: a hand-built week for three shops (A and B opted in, C not), the test clock moved past the
week's end, and the reports that reach a real SMTP server: one per opted-in shop, its figures exactly, its links
absolute and listing the parcels they counted, nothing of another shop's, and nothing more on a second pass or
from passes racing in two processes.

The week is Monday 2026-11-02 to Sunday 2026-11-08 (UTC dates; every scan here is at +00:00). T0 = 11-02 09:00;
scans at hours after it; each parcel's origin is the facility of its dispatch.

| parcel | shop | promised | scans | counts as |
|---|---|---|---|---|
| a1 | A | 11-04 | dispatched 2 (Leeds DC), out for delivery 20, delivered 26 | on time, first attempt; 24 h |
| a2 | A | 11-03 | dispatched 2 (Leeds DC), out 30, attempted 40, delivered 74 | late, after a failed attempt; 72 h |
| a3 | A | 11-04 | dispatched 2 (Hub North), exception 10, delivered 50 | on time, an exception; 48 h |
| a4 | A | 11-05 | dispatched 2 (Hub North) | late, still open |
| a5 | A | 11-03 | dispatched 2 (Hub North), delivered 60 | late; 58 h |
| a6 | A | 11-02 | dispatched 2 (Leeds DC), delivered 30 | late; 28 h |
| b1 | B | 11-03 | dispatched 2 (Depot South), delivered 80 | late; 78 h |
| c1 | C | 11-03 | dispatched 2 (Leeds DC), delivered 80 | (C is not opted in) |

Shop A: on time vs promise 2 of 5 (a1, a3), first attempt 1 of 2 (a1 of a1, a2), exceptions 1 of 6 (a3),
transit from dispatch p50 48 h, p90 72 h over 5 (24, 28, 48, 58, 72: nearest rank), late still open 1 (a4).
Worst ("most parcels delivered after their promise, then the lower on-time rate"): lanes Leeds DC → GB (2 late,
1 of 3), Hub North → GB (1 late, 1 of 2); origin facilities the same two. Shop B: 0 of 1, Depot South.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ordertrail.app import create_app
from ordertrail.services.analytics.weekly_report import send_weekly_reports
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.tables import outbox
from tests.conftest import auth, order_body, scan_body, wait_for
from tests.support.clock import FakeClock
from tests.support.notify import SmtpServer, settled, smtp_server
from tests.support.staff import FAST_HASHING

__all__ = ["smtp_server"]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SUNDAY_EVENING = datetime(2026, 11, 8, 20, 0, tzinfo=UTC)
BASE = "https://track.example"
LEEDS, NORTH, SOUTH = "Leeds DC", "Hub North", "Depot South"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SUNDAY_EVENING)


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url=BASE,
        estimates=False,
        smtp_url=smtp_server.url,
        worker_poll_seconds=0.05,
        eta_sweep_seconds=0.05,  # the report job runs all the time: the clock decides which week is due
        **FAST_HASHING,
    )


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def _opt(client: TestClient, key: str, *, enabled: bool, recipients: list[str]) -> None:
    [merchant] = client.get("/api/v1/merchants", headers=auth(key)).json()["merchants"]
    body = {"enabled": enabled, "recipients": recipients}
    response = client.put(f"/api/v1/merchants/{merchant['id']}/weekly-report", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.json() == {"enabled": enabled, "recipients": [r.lower() for r in recipients]}


def _week(client: TestClient, make_key: Callable[..., str]) -> tuple[dict[str, str], dict[str, str]]:
    shops = {name: make_key("merchant", merchant=f"Shop {name}") for name in "ABC"}
    hub = make_key("scanner", name="hub")

    def place(shop: str, promised: str) -> str:
        body = order_body(placed_at=T0.isoformat(), promised_delivery_date=promised)
        response = client.post("/api/v1/orders", json=body, headers=auth(shops[shop]))
        assert response.status_code == 201, response.text
        number: str = response.json()["parcels"][0]["tracking_number"]
        return number

    def scan(number: str, status: str, hours: float, facility: str) -> None:
        location = {"facility": facility, "city": "Leeds", "country": "GB"}
        body = scan_body(number, status, at=T0 + timedelta(hours=hours), location=location)
        response = client.post("/api/v1/scans", json=body, headers=auth(hub))
        assert response.status_code == 201, response.text

    promised = {"a1": ("A", "11-04"), "a2": ("A", "11-03"), "a3": ("A", "11-04"), "a4": ("A", "11-05"),
                "a5": ("A", "11-03"), "a6": ("A", "11-02"), "b1": ("B", "11-03"), "c1": ("C", "11-03")}  # fmt: skip
    n = {name: place(shop, f"2026-{day}") for name, (shop, day) in promised.items()}
    origins = {"a1": LEEDS, "a2": LEEDS, "a3": NORTH, "a4": NORTH, "a5": NORTH, "a6": LEEDS, "b1": SOUTH, "c1": LEEDS}
    for name, facility in origins.items():
        scan(n[name], "dispatched", 2, facility)
    for name, status, hours in (("a1", "out_for_delivery", 20), ("a1", "delivered", 26),
                                ("a2", "out_for_delivery", 30), ("a2", "delivery_attempted", 40),
                                ("a2", "delivered", 74), ("a3", "exception", 10), ("a3", "delivered", 50),
                                ("a5", "delivered", 60), ("a6", "delivered", 30), ("b1", "delivered", 80),
                                ("c1", "delivered", 80)):  # fmt: skip
        scan(n[name], status, hours, origins[name])
    return shops, n


def _reports(smtp_server: SmtpServer) -> list[EmailMessage]:
    """The weekly reports received (the customers' own emails of the week arrive too)."""
    return [m for m in smtp_server.messages if "your delivery week" in str(m["Subject"])]


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _listed(client: TestClient, key: str, link: str) -> list[str]:
    """The parcels a report's console link lists, asked of the API's list with the same parameters."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == "/console/parcels", link
    response = client.get("/api/v1/parcels", params=parse_qsl(parts.query), headers=auth(key))
    assert response.status_code == 200, response.text
    return sorted(p["tracking_number"] for p in response.json()["parcels"])


def _link_after(text: str, line: str) -> str:
    """The link on the line after ``line`` in a plain-text report."""
    lines = text.splitlines()
    return lines[lines.index(line) + 1].strip()


def test_one_report_per_opted_in_shop_after_the_week_with_its_own_figures_only(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    smtp_server: SmtpServer,
) -> None:
    shops, n = _week(client, make_key)
    _opt(client, shops["A"], enabled=True, recipients=["Ops@Shop-A.example"])
    _opt(client, shops["B"], enabled=True, recipients=["ops@shop-b.example"])
    _opt(client, shops["C"], enabled=False, recipients=["ops@shop-c.example"])

    def one_pass() -> int:
        async def work(services: Services) -> int:
            return await send_weekly_reports(dataclasses.replace(services, clock=clock), base_url=BASE)

        queued: int = run_services(work)
        return queued

    # Before the week's end nothing is due (the last full week ended before the shops opted in).
    assert one_pass() == 0
    clock.set(datetime(2026, 11, 9, 0, 0, 5, tzinfo=UTC))
    wait_for(lambda: len(_reports(smtp_server)) >= 2, timeout=20, what="the two weekly reports")
    wait_for(lambda: settled(settings.resolved_database_url) is not None, what="the outbox settled")
    assert one_pass() == 0  # a second pass sends nothing more
    assert sorted(str(m["To"]) for m in _reports(smtp_server)) == ["ops@shop-a.example", "ops@shop-b.example"]

    [report_a] = smtp_server.to("ops@shop-a.example")
    assert report_a["Subject"] == "Shop A: your delivery week 2026-11-02 to 2026-11-08"
    text = _text(report_a)
    for line in (
        "On time vs promise: 40.0 % (2 of 5)",
        "First-attempt delivery: 50.0 % (1 of 2)",
        "Exception rate: 16.7 % (1 of 6)",
        "Transit, dispatch to delivery: p50 48.0 h, p90 72.0 h over 5 parcels",
        "Late, still open (promised in the week, not delivered by 2026-11-09): 1",
        "- Leeds DC to GB: 2 late, on time 1 of 3",
        "- Hub North to GB: 1 late, on time 1 of 2",
        "- Leeds DC: 2 late, on time 1 of 3",
        "- Hub North: 1 late, on time 1 of 2",
    ):
        assert line in text.splitlines(), (line, text)
    lanes = text[text.index("Worst lanes") : text.index("Worst origin facilities")]
    assert lanes.index("Leeds DC to GB") < lanes.index("Hub North to GB")  # the worst first
    # Each figure links to the console list of exactly its parcels (absolute, from public_base_url).
    a = shops["A"]
    assert _listed(
        client, a, _link_after(text, "On time vs promise: 40.0 % (2 of 5)").removeprefix("counted: ")
    ) == sorted([n["a1"], n["a3"]])
    denominator = text.splitlines()[text.splitlines().index("On time vs promise: 40.0 % (2 of 5)") + 2]
    assert _listed(client, a, denominator.strip().removeprefix("of: ")) == sorted(
        n[x] for x in ("a1", "a2", "a3", "a5", "a6")
    )
    late_open = _link_after(text, "Late, still open (promised in the week, not delivered by 2026-11-09): 1")
    assert _listed(client, a, late_open) == [n["a4"]]
    assert _listed(client, a, _link_after(text, "- Leeds DC to GB: 2 late, on time 1 of 3")) == sorted(
        [n["a2"], n["a6"]]
    )
    html = report_a.get_body(("html",))
    assert html is not None and f'<a href="{BASE}/console/parcels?kpi=on_time_vs_promise&amp;outcome=on_time' in str(
        html.get_content()  # type: ignore[attr-defined]
    )
    # Nothing of shop B's (nor C's) in A's report; B's holds its own figures only.
    assert SOUTH not in text and n["b1"] not in text and "Shop B" not in text
    text_b = _text(smtp_server.to("ops@shop-b.example")[0])
    assert "On time vs promise: 0.0 % (0 of 1)" in text_b.splitlines()
    assert "- Depot South to GB: 1 late, on time 0 of 1" in text_b.splitlines()
    assert LEEDS not in text_b and NORTH not in text_b
    assert smtp_server.to("ops@shop-c.example") == []

    # Turning it on or off is audited.
    admin = make_key("admin", name="root")
    entries = client.get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    assert sum(e["action"] == "merchant.weekly_report_changed" for e in entries) == 3


def test_passes_racing_in_two_processes_queue_a_week_once(
    client: TestClient, make_key: Callable[..., str], settings: Settings, clock: FakeClock
) -> None:
    _opt(client, make_key("merchant", merchant="Shop A"), enabled=True, recipients=["ops@shop-a.example"])
    later = FakeClock(datetime(2026, 11, 16, 0, 0, 1, tzinfo=UTC))  # the app's own clock stays in the week

    async def race() -> list[int]:
        url = settings.resolved_database_url
        upgrade(url)
        stores = [open_database(url), open_database(url)]
        try:
            passes = [send_weekly_reports(Services(db=db, clock=later), base_url=BASE) for db in stores * 2]
            found = await asyncio.gather(*passes)
            rows = await stores[0].read(
                lambda c: c.execute(select(func.count()).where(outbox.c.event_type == "weekly_report")).scalar_one()
            )
            return [*found, rows]
        finally:
            for db in stores:
                await db.close()

    *queued, rows = asyncio.run(race())
    assert sum(queued) == 1 and rows == 1
