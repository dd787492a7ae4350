"""Limits that hold across processes, attacked from outside: real `ordertrail serve --workers 2` servers.

One 2-process server per deployment, shared by the module's tests: SQLite without Redis (counters in the
store), SQLite with Redis (counters in Redis), PostgreSQL without Redis (counters in PostgreSQL). Each test
sends from a loopback source address of its own (127.0.x.y), so the tests do not share a rate-limit budget.
Guesses go over several connections at once, which the kernel hands to either process.

The rate limit's window is ten minutes rather than the default minute: the count is exact either way, and a
busy CI machine may need more than a minute for 600 requests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerProcess, auth, order_body, start_server
from tests.support.scale import RedisServer
from tests.support.store import PostgresDatabases, unavailable

pytestmark = pytest.mark.slow

RATE = 120  # the default is 120 a minute
WINDOW_S = 600
STREAM_CAP = 20  # the default


@dataclass
class Deployment:
    name: str
    server: ServerProcess
    merchant: str  # a merchant key


def _server(tmp: Path, *, database_url: str | None, redis_url: str | None) -> Deployment:
    env = {
        "ORDERTRAIL_PUBLIC_RATE_LIMIT": f"{RATE} per {WINDOW_S // 60} minutes",
        "ORDERTRAIL_MAX_STREAMS_PER_ADDRESS": str(STREAM_CAP),
    }
    if redis_url is not None:
        env["ORDERTRAIL_REDIS_URL"] = redis_url
    server = start_server(tmp / "data", args=("--workers", "2"), database_url=database_url, extra_env=env)
    try:
        assert server.cli("merchants", "create", "Limit Shop").returncode == 0
        made = server.cli("keys", "create", "--role", "merchant", "--name", "shop", "--merchant", "Limit Shop")
    except BaseException:
        server.stop()  # not left running (and its log open) when the deployment cannot be set up
        raise
    return Deployment("", server, made.stdout.strip().splitlines()[-1])


@pytest.fixture(
    scope="module",
    # Each deployment names its store, so each runs once: the SQLite ones in the SQLite pass of scripts/test, the
    # PostgreSQL one in the PostgreSQL pass.
    params=[
        pytest.param("sqlite-store", marks=pytest.mark.store_independent),
        pytest.param("sqlite-redis", marks=pytest.mark.store_independent),
        pytest.param("postgresql-store", marks=pytest.mark.postgres),
    ],
)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None
) -> Iterator[Deployment]:
    name: str = request.param
    tmp = tmp_path_factory.mktemp(name)
    with ExitStack() as stack:
        redis_url = None
        database_url = module_database_url if name.startswith("sqlite") else None
        if name == "sqlite-redis":
            import shutil

            from tests.conftest import free_port

            if shutil.which("redis-server") is None:
                unavailable("redis-server is not installed (Debian package redis-server)")
            redis = RedisServer(free_port(), tmp / "redis.log")
            redis.start()
            stack.callback(redis.stop)
            redis_url = redis.url
        if name == "postgresql-store":
            databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
            database_url = stack.enter_context(databases.fresh("ordertrail_limits"))
        running = _server(tmp, database_url=database_url, redis_url=redis_url)
        stack.callback(running.server.stop)
        running.name = name
        yield running


def client_from(deployment: Deployment, source: str, **options: object) -> httpx.Client:
    """A client whose connections come from ``source`` (any 127.x.y.z reaches a server on 127.0.0.1)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=deployment.server.base_url, transport=transport, timeout=30, **options)  # type: ignore[arg-type]


def guesses(deployment: Deployment, source: str, count: int, *, rotate_forwarded_for: bool = False) -> Counter[int]:
    """``count`` lookups of unknown numbers from ``source`` over 8 connections at once; their statuses."""
    local = threading.local()
    clients: list[httpx.Client] = []

    def guess(i: int) -> int:
        if not hasattr(local, "http"):
            local.http = client_from(deployment, source)
            clients.append(local.http)
        headers = {"X-Forwarded-For": f"203.0.{i // 250}.{i % 250 + 1}"} if rotate_forwarded_for else {}
        return int(local.http.get(f"/api/v1/tracking/OT{i:010d}X", headers=headers).status_code)

    try:
        with ThreadPoolExecutor(8) as pool:
            return Counter(pool.map(guess, range(count)))
    finally:
        for http in clients:
            http.close()


def test_600_guesses_from_one_client_get_exactly_the_limit(deployment: Deployment) -> None:
    started = time.monotonic()
    counts = guesses(deployment, "127.0.0.2", 600)
    took = time.monotonic() - started
    assert took < WINDOW_S, f"600 guesses took {took:.0f} s: more than the window, the count means nothing"
    assert counts[404] == RATE and counts[429] == 600 - RATE, (deployment.name, counts)


def test_rotating_x_forwarded_for_gets_no_extra_budget(deployment: Deployment) -> None:
    # From 127.0.0.1 itself, which was once trusted as a proxy by default: no proxy is trusted unless named.
    counts = guesses(deployment, "127.0.0.1", 200, rotate_forwarded_for=True)
    assert counts[404] == RATE and counts[429] == 200 - RATE, (deployment.name, counts)


def test_300_stream_attempts_hold_the_cap_across_both_processes(deployment: Deployment) -> None:
    with client_from(deployment, "127.0.0.3") as http:
        placed = http.post("/api/v1/orders", json=order_body(), headers=auth(deployment.merchant))
    assert placed.status_code == 201, placed.text
    path = f"/api/v1/tracking/{placed.json()['parcels'][0]['tracking_number']}/events"
    lock = threading.Lock()
    # One client, no kept-alive connections: every attempt is a new connection (either process), and admitted
    # streams hold theirs until the end of the block.
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=0)
    with client_from(deployment, "127.0.0.3", limits=limits) as http, ExitStack() as open_streams:

        def attempt(_: int) -> int:
            response = http.send(http.build_request("GET", path), stream=True)
            with lock:
                open_streams.callback(response.close)
            if response.status_code != 200:
                response.read()
            return response.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = Counter(pool.map(attempt, range(300)))
    assert statuses[200] == STREAM_CAP and statuses[429] == 300 - STREAM_CAP, (deployment.name, statuses)


def parallel_wrong_guesses(deployment: Deployment, order_number: str, source: str, count: int) -> Counter[int]:
    """``count`` wrong verifiers for one order, all sent at the same moment, each on a connection of its own."""
    go = threading.Barrier(count)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)  # a new connection each

    with client_from(deployment, source, limits=limits) as http:

        def guess(i: int) -> int:
            go.wait()
            data = {"order_number": order_number, "verifier": f"guess{i}@example.com"}
            return int(http.post("/track/order", data=data).status_code)

        with ThreadPoolExecutor(count) as pool:
            return Counter(pool.map(guess, range(count)))


def test_the_order_lockout_evaluates_exactly_five_of_60_parallel_guesses(deployment: Deployment) -> None:
    # Ten trials where the race was seen (PostgreSQL: 7, 10 and 10 evaluations before); three on the others.
    for trial in range(10 if deployment.name == "postgresql-store" else 3):
        body = order_body()
        with client_from(deployment, "127.0.1.1") as http:
            assert http.post("/api/v1/orders", json=body, headers=auth(deployment.merchant)).status_code == 201
        # Each trial from an address of its own: its 60 guesses stay within one address's rate budget.
        counts = parallel_wrong_guesses(deployment, body["order_number"], f"127.0.2.{trial + 1}", 60)
        assert counts[404] == 5 and counts[429] == 55, (deployment.name, trial, counts)
        # The attacker locked out only themself: the customer, elsewhere, still opens the order.
        with client_from(deployment, f"127.0.3.{trial + 1}") as http:
            data = {"order_number": body["order_number"], "verifier": body["customer"]["email"]}
            assert http.post("/track/order", data=data).status_code == 303


def test_a_named_proxy_is_believed_and_nobody_else(tmp_path: Path) -> None:
    # ORDERTRAIL_FORWARDED_ALLOW_IPS names the proxy (here 127.0.0.5): its X-Forwarded-For is the client address;
    # the same header from any other peer is ignored.
    env = {"ORDERTRAIL_FORWARDED_ALLOW_IPS": "127.0.0.5", "ORDERTRAIL_PUBLIC_RATE_LIMIT": "3 per 10 minutes"}
    server = start_server(tmp_path / "data", extra_env=env)
    try:
        deployment = Deployment("proxy", server, "")

        def statuses(source: str) -> list[int]:
            with client_from(deployment, source) as http:
                return [
                    http.get(
                        "/api/v1/tracking/OT0000000000X", headers={"X-Forwarded-For": f"198.51.100.{i}"}
                    ).status_code
                    for i in range(1, 7)
                ]

        assert statuses("127.0.0.5") == [404] * 6  # six customers behind the proxy, one request each
        assert statuses("127.0.0.6") == [404] * 3 + [429] * 3  # one client, whatever it writes in the header
    finally:
        server.stop()
