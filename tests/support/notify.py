"""Real receivers for notification tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver (uvicorn)."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import free_port, wait_for


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # as received: what a mail provider's filters read
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.raw.append(bytes(envelope.content))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """A real SMTP server on a free port; ``messages`` are the emails it received."""

    port: int
    mailbox: _Mailbox

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.mailbox.lock:
            return list(self.mailbox.messages)

    @property
    def raw_messages(self) -> list[bytes]:
        with self.mailbox.lock:
            return list(self.mailbox.raw)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(port, mailbox)
    controller.stop()


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Behaviour = Callable[[Request, bytes, list["Received"]], Response]


def accept(_: Request, __: bytes, ___: list[Received]) -> Response:
    return Response("ok", status_code=200)


@dataclass
class Receiver:
    """A real HTTP server on a free port that records every request; ``behaviour`` decides the answer."""

    port: int
    received: list[Received] = field(default_factory=list)
    behaviour: Behaviour = accept
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def ids(self) -> set[str]:
        return {r.webhook_id for r in self.snapshot() if "webhook-id" in r.headers}


def _serve(receiver: Receiver) -> Iterator[Receiver]:
    async def handle(request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:  # the sender died mid-request (the crash test kills it on purpose)
            return Response(status_code=499)
        with receiver.lock:
            earlier = [r for r in receiver.received if r.headers.get("webhook-id") == request.headers.get("webhook-id")]
            response = receiver.behaviour(request, body, earlier)
            receiver.received.append(Received(request.url.path, dict(request.headers), body, response.status_code))
        return response

    app = Starlette(routes=[Route("/{path:path}", handle, methods=["POST", "GET"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=receiver.port, log_level="warning", lifespan="off", ws="none", loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=10, what="webhook receiver start")
    yield receiver
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver(free_port()))


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver(free_port()))


def outbox_rows(database_url: str) -> list[dict[str, Any]]:
    """Every outbox row, straight from the store."""
    from sqlalchemy import select

    from ordertrail.storage.tables import outbox
    from tests.support.store import rows

    return rows(database_url, select(outbox).order_by(outbox.c.id))


def settled(database_url: str) -> list[dict[str, Any]] | None:
    """The outbox rows once none is pending any more (None while some are)."""
    rows = outbox_rows(database_url)
    return None if any(r["state"] == "pending" for r in rows) else rows
