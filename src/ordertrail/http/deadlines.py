"""How long a client may take to send a request: uvicorn's httptools protocol with a deadline on headers and body.

uvicorn bounds neither: a connection that sends half its headers, or a body a byte at a time, is held open for
as long as the client likes (every byte received even cancels the keep-alive timer), and a few hundred such
clients hold a few hundred connections. An ASGI middleware would not see the headers at all, so the deadlines
live in the protocol: the headers must be complete ``header_timeout_s`` after the connection opened (or, on a
kept-alive connection, after the request's first byte); the body ``body_timeout_s`` after its headers. Past a
deadline the client gets a 408 problem+json, and the connection is closed.

The close is a lingering one (RFC 9112 §9.6): a client still sending its body when the 408 goes out would, on an
immediate close, get a TCP reset for the bytes the server never read, and a reset can destroy the 408 before the
client reads it. So the server half-closes (its FIN follows the 408), drops whatever still arrives, and closes
once the client does, or after ``LINGER_S``.
"""

from __future__ import annotations

import asyncio
import functools
from asyncio import TimerHandle
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ordertrail.domain.errors import RequestTimeout
from ordertrail.http.problems import from_error

# How long a refused connection is read (and its bytes dropped) after the 408 went out: enough for the client to
# receive the answer and see the FIN; bounded, so a client that keeps sending cannot keep the connection.
LINGER_S = 2.0


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline on each request's headers and on its body."""

    def __init__(self, *args: Any, header_timeout_s: float, body_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self._deadline: TimerHandle | None = None
        self._lingering = False

    def _arm(self, seconds: float, late: Callable[[], None]) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_s, self._headers_late)  # counted from the connection: slow first bytes too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the rest of a refused request: read only so that closing does not reset the connection
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection: counted from its first byte
            self._arm(self.header_timeout_s, self._headers_late)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self._arm(self.body_timeout_s, self._body_late)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _headers_late(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.headers is None:  # not one byte of a request: an idle connection, closed as keep-alive would
            self.transport.close()
            return
        self._refuse("headers", f"The request headers did not arrive within {self.header_timeout_s:g} s.")

    def _body_late(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            # The server stopped reading (the app is not taking the body yet, or a pipelined request waits):
            # the slowness is ours, not the client's.
            self._arm(self.body_timeout_s, self._body_late)
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            # The app is still waiting for the body: it sees the client gone, and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
            self._refuse("body", f"The request body did not arrive within {self.body_timeout_s:g} s.")
            return
        self.transport.close()  # answered already (without reading the body): nothing more to wait for

    def _refuse(self, field: str, detail: str) -> None:
        response = from_error(RequestTimeout(detail, field=field))
        head = [
            b"HTTP/1.1 408 Request Timeout",
            b"content-type: " + response.media_type.encode() if response.media_type else b"",
            b"content-length: %d" % len(response.body),
            b"connection: close",
        ]
        self.transport.write(b"\r\n".join(line for line in head if line) + b"\r\n\r\n" + bytes(response.body))
        self._close_lingering()

    def _close_lingering(self) -> None:
        """Half-close after the answer, keep reading (and dropping) until the client closes or ``LINGER_S`` passed."""
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self._lingering = True
        self.transport.write_eof()  # the FIN goes after the buffered 408; eof_received then closes the transport
        self.loop.call_later(LINGER_S, self.transport.close)


def deadline_protocol(*, header_timeout_s: float, body_timeout_s: float) -> Callable[..., DeadlineProtocol]:
    """The protocol class for ``uvicorn.run(http=…)`` with these deadlines (picklable, for ``--workers``)."""
    return functools.partial(DeadlineProtocol, header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s)
