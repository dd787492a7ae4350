"""`ordertrail demo` (what `scripts/run` does through `serve --demo`), run twice on one store: the second run adds
no orders, prints keys that work, and points at the same kinds of parcels; and `serve --demo`, whose live demo
keeps the parcel it suggests as moving now moving, on the first run and on the next."""

from __future__ import annotations

import random
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.demo.live import move_one
from ordertrail.demo.orders import DEMO_MERCHANT, run_demo
from ordertrail.demo.showcase import demo_parcels
from ordertrail.runtime import open_runtime
from ordertrail.services.accounts.keys import authenticate
from ordertrail.services.ports import Ports
from ordertrail.settings import Settings
from ordertrail.storage.accounts.merchants import merchant_id_by_name
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.tables import order
from tests.conftest import start_server, wait_for
from tests.support.store import rows, run_async

KEY = re.compile(r"^\s+(admin|merchant|scanner)\s+key: (\S+)$", re.MULTILINE)
SUGGESTION = re.compile(r"^\s+(.+?)\s+https?://\S+/t/(\S+)$", re.MULTILINE)


def _orders(settings: Settings) -> int:
    counted = rows(settings.resolved_database_url, select(func.count().label("n")).select_from(order))
    return int(counted[0]["n"])


async def _roles_of(settings: Settings, keys: list[str]) -> list[str]:
    db = open_database(settings.resolved_database_url)
    try:
        ports = Ports(db=db)
        return [(await authenticate(ports, authorization=f"Bearer {key}")).role.value for key in keys]
    finally:
        await db.close()


def test_a_second_demo_run_adds_no_orders_and_prints_working_keys(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERTRAIL_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--orders", "12"])
    assert first.exit_code == 0, first.output
    made = _orders(settings)
    assert made == 12
    first_suggestions = SUGGESTION.findall(first.output)
    shown = set(dict(first_suggestions))
    every_demo_has = {
        "out for delivery now",
        "a problem on the way (exception)",
        "a failed delivery attempt",
        "delayed: its estimate is past the promised date",
        "stalled: no scan for longer than usual",
        "still in the warehouse",
    }
    assert every_demo_has | {"delivered"} <= shown, first.output
    assert not any(what.startswith("moving now") for what in shown)  # no server runs: nothing moves

    second = runner.invoke(app, ["demo", "--orders", "12"])
    assert second.exit_code == 0, second.output
    assert "already in this store; no orders added" in second.output
    assert _orders(settings) == made
    keys = dict((role, key) for role, key in KEY.findall(second.output))
    assert sorted(keys) == ["admin", "merchant", "scanner"]
    assert sorted(run_async(_roles_of(settings, list(keys.values())))) == ["admin", "merchant", "scanner"]
    # Earlier keys still work too.
    assert len(run_async(_roles_of(settings, [key for _, key in KEY.findall(first.output)]))) == 3
    assert SUGGESTION.findall(second.output) == first_suggestions


def _moving_now(log: Path) -> str:
    found = dict(SUGGESTION.findall(log.read_text()))
    (number,) = [n for what, n in found.items() if what.startswith("moving now")]
    return str(number)


def _status(http: httpx.Client, number: str) -> tuple[str, int]:
    document = http.get(f"/api/v1/tracking/{number}").json()
    return document["status"], len(document["events"])


def _wait_for_a_new_scan(http: httpx.Client, number: str) -> None:
    before = _status(http, number)
    wait_for(lambda: _status(http, number) != before, what=f"a new scan of {number}")


def test_serve_demo_keeps_the_parcel_it_suggests_moving_on_every_run(tmp_path: Path) -> None:
    live = {"ORDERTRAIL_DEMO_LIVE_SECONDS": "1"}
    for _run in ("first", "second"):
        server = start_server(tmp_path / "data", args=("--demo", "8"), extra_env=live)
        try:
            number = _moving_now(server.log)
            with server.http() as http:
                _wait_for_a_new_scan(http, number)
                assert _orders_of(server.database_url) == 8  # the second run added no orders
        finally:
            server.stop()


def _orders_of(url: str) -> int:
    return int(rows(url, select(func.count().label("n")).select_from(order))[0]["n"])


def test_the_live_demo_takes_each_parcel_to_the_door_then_places_a_fresh_order(settings: Settings) -> None:
    upgrade(settings.resolved_database_url)

    async def main() -> tuple[list[set[str]], list[str]]:
        async with open_runtime(settings) as runtime:
            services = runtime.services
            await run_demo(services, orders=1)  # the first showcase: a parcel out for delivery
            merchant_id = await services.db.read(lambda connection: merchant_id_by_name(connection, DEMO_MERCHANT))
            assert merchant_id is not None
            rng = random.Random(3)
            statuses: list[set[str]] = []
            for _ in range(40):  # at most six steps for each of the order's (at most three) parcels
                if await move_one(services, rng) is None:
                    break
                statuses.append({p.state.status.value for p in await demo_parcels(services, merchant_id)})
            after = await demo_parcels(services, merchant_id)
            return statuses, [p.state.status.value for p in after]

    statuses, after = run_async(main())
    assert statuses and statuses[-1] == {"delivered"}  # every parcel reached the door, one step at a time
    assert _orders(settings) == 2  # then one fresh order carried on
    assert after[0] == "processing"
