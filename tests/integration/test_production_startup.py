"""Start-up on PostgreSQL: clear one-line refusals (unreachable store, old schema, bad settings); safe upgrades."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BIN, free_port
from tests.support.store import POSTGRES_URL, PostgresDatabases, admin, rows, run_async

pytestmark = pytest.mark.postgres


def ordertrail(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "ORDERTRAIL_PORT": str(free_port()), **env}
    return subprocess.run(
        [str(BIN / "ordertrail"), *args], env=full, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def empty_database(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A PostgreSQL database without any schema."""
    postgres_databases.require()
    name = f"ordertrail_empty_{uuid.uuid4().hex[:10]}"
    run_async(admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    run_async(admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_an_unreachable_postgresql_is_one_line_naming_the_setting_and_host(tmp_path: Path) -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    for command in (("serve",), ("worker",), ("db", "upgrade"), ("merchants", "list")):
        result = ordertrail(*command, env={"ORDERTRAIL_DATABASE_URL": url, "ORDERTRAIL_DATA_DIR": str(tmp_path)})
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "ORDERTRAIL_DATABASE_URL" in lines[0] and "127.0.0.1:" in lines[0]
        assert "Traceback" not in result.stderr + result.stdout


def test_invalid_urls_are_refused_with_the_variable_named(tmp_path: Path) -> None:
    result = ordertrail("serve", env={"ORDERTRAIL_REDIS_URL": "http://cache", "ORDERTRAIL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "ORDERTRAIL_REDIS_URL" in result.stderr
    result = ordertrail("serve", env={"ORDERTRAIL_DATABASE_URL": "mysql://db/x", "ORDERTRAIL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "ORDERTRAIL_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_servers_refuse_an_old_schema_and_concurrent_upgrades_are_safe(empty_database: str, tmp_path: Path) -> None:
    env = {"ORDERTRAIL_DATABASE_URL": empty_database, "ORDERTRAIL_DATA_DIR": str(tmp_path)}
    for command in (("serve",), ("worker",)):
        refused = ordertrail(*command, env=env)
        assert refused.returncode == 2, refused.stderr
        assert "ordertrail db upgrade" in refused.stderr and "Traceback" not in refused.stderr
    # Two deploy jobs upgrading at once: the advisory lock lets one migrate; the other then finds it done.
    full = {**os.environ, **env}
    upgrades = [
        subprocess.Popen([str(BIN / "ordertrail"), "db", "upgrade"], env=full, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for upgrade in upgrades:
        _, stderr = upgrade.communicate(timeout=120)
        assert upgrade.returncode == 0, stderr
    assert len(rows(empty_database, "SELECT version_num FROM alembic_version")) == 1
    assert ordertrail("merchants", "create", "Upgraded", env=env).returncode == 0
