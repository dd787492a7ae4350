"""An order number in another script reaches the customer's email intact (its Subject encoded per RFC 2047):
issue 12, finding 6, where such numbers broke the response and CR/LF in one kept an email retrying for days."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ordertrail.settings import Settings
from tests.conftest import wait_for
from tests.support.notify import SmtpServer, smtp_server

__all__ = ["smtp_server"]


@pytest.fixture
def settings(tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        smtp_url=smtp_server.url,
        worker_poll_seconds=0.05,
    )


def test_the_confirmation_names_a_non_latin_order_number(
    make_order: Callable[..., dict[str, Any]], smtp_server: SmtpServer
) -> None:
    make_order(order_number="订单 2026#7")
    (message,) = wait_for(lambda: smtp_server.messages, what="the confirmation email")
    assert "订单 2026#7" in str(message["Subject"])
    assert "订单 2026#7" in message.get_body(("plain",)).get_content()
