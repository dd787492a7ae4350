"""The request observer's labels: status classes, a failure before any answer, a client gone before its answer."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from ordertrail.adapters.metrics import Metrics
from ordertrail.http.observing import ROUTE_KEY, RequestObserver

pytestmark = pytest.mark.store_independent


class Seen(Metrics):
    """Keeps what the observer reports, instead of counting it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, str, bool]] = []

    def request(self, method: str, route: str, status: str, seconds: float | None) -> None:
        self.seen.append((method, route, status, seconds is not None))


async def answers(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def fails(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("broken")


async def says_nothing(scope: Scope, receive: Receive, send: Send) -> None:
    return  # as the hot paths do when the client went away mid-body


def observe(app: RequestObserver, method: str = "POST") -> None:
    async def sink(_: Message) -> None:
        pass

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": method, "path": "/api/v1/scans", "headers": [], ROUTE_KEY: "/api/v1/scans"}
    asyncio.run(app(scope, nothing, sink))


def test_status_classes_failures_and_silence_are_labelled_apart() -> None:
    metrics = Seen()
    observe(RequestObserver(answers, metrics=metrics), method="BREW")
    with pytest.raises(RuntimeError):
        observe(RequestObserver(fails, metrics=metrics))
    observe(RequestObserver(says_nothing, metrics=metrics))
    assert metrics.seen == [
        ("other", "/api/v1/scans", "4xx", True),  # an unknown method is "other": clients choose methods
        ("POST", "/api/v1/scans", "5xx", True),
        ("POST", "/api/v1/scans", "none", True),
    ]
