"""Shared fixtures. They return factories (``make_order(**overrides)``) and start real servers where asked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.domain.accounts.keys import Role
from ordertrail.domain.errors import DuplicateMerchant
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from tests.support.store import POSTGRES_URL, TEST_DATABASE_URL, PostgresDatabases

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Unit tests never open a store (the store fixture leaves them alone), so they run in one pass only."""
    for item in items:
        if "unit" in item.path.relative_to(ROOT).parts[:2]:
            item.add_marker(pytest.mark.store_independent)


def wait_for(condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.02, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """Fresh, migrated PostgreSQL databases (copies of one template made on first use)."""
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.close()


@pytest.fixture(autouse=True)
def _store_under_test(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """With ORDERTRAIL_TEST_DATABASE_URL set, every test outside tests/unit gets its own PostgreSQL database.

    It goes in ORDERTRAIL_DATABASE_URL, so every ``Settings()`` the test builds, every CLI command and every
    server process it starts use it; with the variable unset each test keeps its SQLite file under tmp_path.
    """
    if TEST_DATABASE_URL is None or "unit" in request.node.path.parts:
        yield
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    with databases.fresh() as url:
        monkeypatch.setenv("ORDERTRAIL_DATABASE_URL", url)
        yield


@pytest.fixture(scope="module")
def module_database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """For module-scoped servers: a PostgreSQL database of their own on PostgreSQL runs, else None (SQLite)."""
    if TEST_DATABASE_URL is None:
        yield None
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    with databases.fresh() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh migrated PostgreSQL database for tests that need PostgreSQL whatever the backend under test."""
    with postgres_databases.fresh("ordertrail_pg") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh store: an embedded one in a temporary data directory, or the test's PostgreSQL database."""
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver")


@pytest.fixture
def run_services(settings: Settings) -> Callable[[Callable[[Services], Any]], Any]:
    """Run ``async work(services)`` against the test store (for setup through the real use cases)."""

    def run(work: Callable[[Services], Any]) -> Any:
        async def main() -> Any:
            url = settings.resolved_database_url
            upgrade(url)
            db = open_database(url)
            try:
                return await work(Services(db=db))
            finally:
                await db.close()

        return asyncio.run(main())

    return run


@pytest.fixture
def make_key(run_services: Callable[..., Any]) -> Callable[..., str]:
    """Create a key (and its merchant, if needed) and return it: ``make_key("merchant", merchant="Shop")``."""

    def make(role: str, *, name: str | None = None, merchant: str | None = None, facility: str | None = None) -> str:
        async def work(services: Services) -> str:
            if merchant is not None:
                with contextlib.suppress(DuplicateMerchant):
                    await merchant_service.create_merchant(services, name=merchant)
            created = await key_service.create_key(
                services,
                role=Role(role),
                name=name or f"{role}-{uuid.uuid4().hex[:6]}",
                merchant=merchant,
                facility=facility,
            )
            return created.plaintext

        result: str = run_services(work)
        return result

    return make


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app in-process, lifespan running."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def order_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /orders body; override any top-level field."""
    body: dict[str, Any] = {
        "order_number": f"A-{uuid.uuid4().hex[:10]}",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"},
        "destination": {"line1": "12 Analytical Row", "city": "London", "postal_code": "N1 9GU", "country": "GB"},
        "parcels": [{"weight_grams": 1200}],
    }
    body.update(overrides)
    return body


def scan_body(tracking_number: str, status: str, *, at: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid POST /scans body."""
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "tracking_number": tracking_number,
        "status": status,
        "occurred_at": (at or datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "location": {"facility": "Hub North", "city": "Leeds", "country": "GB"},
    }
    if status in ("exception", "delivery_attempted") and "reason" not in overrides:
        body["reason"] = "damaged" if status == "exception" else "nobody_home"
    body.update(overrides)
    return body


@pytest.fixture
def make_order(client: TestClient, make_key: Callable[..., str]) -> Callable[..., dict[str, Any]]:
    """Place an order through the API (as a merchant of "Test Shop") and return the response body."""
    merchant_key = make_key("merchant", merchant="Test Shop")

    def make(**overrides: Any) -> dict[str, Any]:
        response = client.post("/api/v1/orders", json=order_body(**overrides), headers=auth(merchant_key))
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()
        return document

    return make


@dataclass
class ServerProcess:
    """A real ``ordertrail serve`` process."""

    base_url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]

    @property
    def database_url(self) -> str:
        """The store this server uses."""
        return self.env.get("ORDERTRAIL_DATABASE_URL") or f"sqlite:///{self.data_dir / 'ordertrail.db'}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``ordertrail`` command against this server's store."""
        return subprocess.run(
            [str(BIN / "ordertrail"), *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=30)
        self.log_file.close()


def start_server(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
    database_url: str | None = None,
    args: tuple[str, ...] = (),
) -> ServerProcess:
    """Start ``ordertrail serve`` on a free port and wait until it answers /healthz.

    The store is ``database_url``, else the test's (ORDERTRAIL_DATABASE_URL, set per test on PostgreSQL runs),
    else the SQLite file in ``data_dir``. A port found free can be taken by another process before the server
    binds it (other suites run on the same machine): then it starts again on another port.
    """
    for attempt in range(3):
        try:
            return _start_server_once(data_dir, extra_env=extra_env, port=port, database_url=database_url, args=args)
        except _PortTaken:
            if port is not None or attempt == 2:
                raise
    raise AssertionError("unreachable")


class _PortTaken(AssertionError):
    pass


def _start_server_once(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None,
    port: int | None,
    database_url: str | None,
    args: tuple[str, ...],
) -> ServerProcess:
    port = port or free_port()
    url = database_url or os.environ.get("ORDERTRAIL_DATABASE_URL")
    env = {
        **os.environ,
        **({"ORDERTRAIL_DATABASE_URL": url} if url else {}),
        "ORDERTRAIL_DATA_DIR": str(data_dir),
        "ORDERTRAIL_PORT": str(port),
        "ORDERTRAIL_HOST": "127.0.0.1",
        "ORDERTRAIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **(extra_env or {}),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}.log"
    log_file = log.open("ab")
    process = subprocess.Popen(
        [str(BIN / "ordertrail"), "serve", *args], env=env, stdout=log_file, stderr=subprocess.STDOUT
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", data_dir, env, process, log, log_file)

    def healthy() -> bool:
        if process.poll() is not None:
            log_file.close()
            output = log.read_text()
            if "address already in use" in output:
                raise _PortTaken(output)
            raise AssertionError(f"server exited: {output}")
        try:
            return httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        # Generous: several processes cold-starting on a machine busy with other suites can take a while.
        wait_for(healthy, timeout=90, what="server start")
    except BaseException:
        server.stop(kill=True)  # never leave a server behind (with --workers it would restart its children for ever)
        raise
    return server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server process on a fresh embedded store."""
    running = start_server(tmp_path / "server-data")
    yield running
    running.stop()
