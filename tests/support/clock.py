"""A clock tests move by hand (``create_app(settings, clock=clock)``), and an in-process server that uses it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import uvicorn

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import free_port, wait_for


@dataclass
class FakeClock:
    """The time every use case sees; only the test moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        assert moment >= self.now, "time only moves forward"
        self.now = moment

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@contextmanager
def serve_in_thread(settings: Settings, clock: FakeClock) -> Iterator[str]:
    """A real uvicorn server (HTTP on a free port) running the app with ``clock``; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, clock=clock),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        loop="asyncio",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=30, what="in-process server start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
