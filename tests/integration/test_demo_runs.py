"""`ordertrail demo` (what `scripts/run` does through `serve --demo`), run twice on one store: the second run adds
no orders, prints keys that work, and points at the same kinds of parcels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.services.accounts.keys import authenticate
from ordertrail.services.ports import Ports
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.tables import order
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
    every_demo_has = {"out for delivery now", "a problem on the way (exception)", "a failed delivery attempt"}
    assert every_demo_has | {"delivered"} <= shown, first.output

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
