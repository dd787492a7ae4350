"""Issue 12, finding 13: one recipient hears about one parcel in the order of the events (real SMTP, real HTTP).

An order promised for tomorrow is late the moment it is placed: its first transaction writes the confirmation
and the delay notice together. The customer must read "confirmed" before "running late", and the merchant's
endpoint must get ``parcel.order_placed`` before ``parcel.delayed`` — also when the first message of each
needs a retry, so the second has to wait for it rather than overtake it.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from starlette.requests import Request
from starlette.responses import Response

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth, free_port, order_body, wait_for
from tests.support.clock import FakeClock
from tests.support.notify import Received, Receiver, outbox_rows, receiver, settled

__all__ = ["receiver"]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TUESDAY = "2026-03-03"  # promised for tomorrow: no lane delivers that fast, so the order is late at once


@dataclass
class FlakyMailbox:
    """A real SMTP server's handler that answers 451 (try again later) to the first ``refuse`` messages."""

    refuse: int = 0
    subjects: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            if len(self.refused) < self.refuse:
                self.refused.append(str(message["Subject"]))
                return "451 4.3.0 Mailbox busy, try again later"
            self.subjects.append(str(message["Subject"]))
        return "250 Message accepted"


@pytest.fixture
def mailbox() -> Iterator[tuple[FlakyMailbox, int]]:
    handler = FlakyMailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, mailbox: tuple[FlakyMailbox, int]) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="https://track.example.com",
        smtp_url=f"smtp://127.0.0.1:{mailbox[1]}",
        webhook_allow_private=True,
        webhook_ports="*",  # the receiver listens on a port of its own
        webhook_retry_delays="300ms,300ms,300ms",
        worker_poll_seconds=0.05,
        eta_sweep_seconds=3600,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def refuse_the_very_first(receiver: Receiver) -> Callable[[Request, bytes, list[Received]], Response]:
    """The endpoint is briefly down: it answers 500 to the first request it gets, then accepts everything."""

    def behaviour(_: Request, __: bytes, ___: list[Received]) -> Response:
        # Called under the receiver's lock, before the request is recorded: nothing recorded yet = the first.
        return Response("down", status_code=500) if not receiver.received else Response("ok", status_code=200)

    return behaviour


def place_late_order(client: TestClient, make_key: Callable[..., str], receiver: Receiver) -> tuple[str, str]:
    """An order promised for tomorrow, with an endpoint that hears every event; returns (order number, secret)."""
    merchant = make_key("merchant", merchant="Test Shop")
    endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(merchant))
    assert endpoint.status_code == 201, endpoint.text
    body = order_body(promised_delivery_date=TUESDAY, placed_at=MONDAY.isoformat())
    response = client.post("/api/v1/orders", json=body, headers=auth(merchant))
    assert response.status_code == 201, response.text
    tracking = client.get(f"/api/v1/tracking/{response.json()['parcels'][0]['tracking_number']}").json()
    assert tracking["delay"] is not None, "the order must be late at once for this story"
    return body["order_number"], endpoint.json()["secret"]


def delivered_types(receiver: Receiver, secret: str) -> list[str]:
    """The event types the endpoint accepted (2xx), in the order it received them, verified by signature."""
    return [Webhook(secret).verify(r.body, r.headers)["type"] for r in receiver.snapshot() if r.status == 200]


def test_the_confirmation_reaches_customer_and_endpoint_before_the_delay_notice(
    client: TestClient,
    settings: Settings,
    make_key: Callable[..., str],
    receiver: Receiver,
    mailbox: tuple[FlakyMailbox, int],
) -> None:
    number, secret = place_late_order(client, make_key, receiver)
    wait_for(lambda: settled(settings.resolved_database_url), timeout=20, what="outbox settled")
    handler = mailbox[0]
    assert handler.subjects == [
        f"Your order {number} from Test Shop is confirmed",
        f"Your order {number} from Test Shop is running late",
    ]
    assert delivered_types(receiver, secret) == ["parcel.order_placed", "parcel.delayed"]


def test_a_retried_confirmation_is_not_overtaken_by_the_delay_notice(
    client: TestClient,
    settings: Settings,
    make_key: Callable[..., str],
    receiver: Receiver,
    mailbox: tuple[FlakyMailbox, int],
    clock: FakeClock,
) -> None:
    handler = mailbox[0]
    handler.refuse = 1  # the first email offered is refused once: it goes out again after the retry delay
    receiver.behaviour = refuse_the_very_first(receiver)
    number, secret = place_late_order(client, make_key, receiver)
    url = settings.resolved_database_url

    def both_heads_failed_once() -> bool:
        return sum(1 for r in outbox_rows(url) if r["attempts"] == 1 and r["state"] == "pending") == 2

    wait_for(both_heads_failed_once, timeout=20, what="the first email and the first webhook refused")
    # While the confirmations wait for their retry, the delay notices wait behind them, unsent.
    by_type = {(r["channel"], r["event_type"]): r for r in outbox_rows(url)}
    assert by_type[("email", "parcel.delayed")]["attempts"] == 0
    assert by_type[("webhook", "parcel.delayed")]["attempts"] == 0
    clock.advance(timedelta(seconds=1))  # past the retry delay
    wait_for(lambda: settled(url), timeout=20, what="outbox settled")
    assert handler.refused == [f"Your order {number} from Test Shop is confirmed"]
    assert handler.subjects == [
        f"Your order {number} from Test Shop is confirmed",
        f"Your order {number} from Test Shop is running late",
    ]
    attempts = [(Webhook(secret).verify(r.body, r.headers)["type"], r.status) for r in receiver.snapshot()]
    assert attempts == [("parcel.order_placed", 500), ("parcel.order_placed", 200), ("parcel.delayed", 200)]
