"""Pieces for scale-out tests: a Redis server of the test's own, an SSE client in a thread, worker processes."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import BIN, free_port, wait_for
from tests.support.store import unavailable


@dataclass
class RedisServer:
    """A redis-server on a free port that the test may stop and start again (never the shared one)."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def answers() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_for(answers, timeout=10, what="redis-server start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (Debian package redis-server)")
    server = RedisServer(free_port(), tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@dataclass
class SseClient:
    """Reads one SSE stream in a thread and records each message's id and arrival time (monotonic)."""

    url: str
    received: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connected: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def start(self) -> SseClient:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        wait_for(self.connected.is_set, timeout=10, what=f"stream {self.url}")
        return self

    def _run(self) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(30, read=60)) as http, http.stream("GET", self.url) as response:
                assert response.status_code == 200, response.read()
                self.connected.set()
                for line in response.iter_lines():
                    if self.stopping.is_set():
                        return
                    if line.startswith("id: "):
                        with self.lock:
                            self.received.append((line[4:], time.monotonic()))
        except BaseException as error:  # reported by ids()
            if not self.stopping.is_set():
                self.error = error

    def ids(self) -> list[str]:
        if self.error is not None:
            raise AssertionError(f"stream {self.url} failed: {self.error!r}")
        with self.lock:
            return [event_id for event_id, _ in self.received]

    def arrival(self, event_id: str) -> float | None:
        with self.lock:
            return next((at for i, at in self.received if i == event_id), None)

    def stop(self) -> None:
        self.stopping.set()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """An ``ordertrail worker`` process."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([str(BIN / "ordertrail"), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
