"""A cap on request body size, enforced while the body streams in (pure ASGI: no cost on small bodies)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordertrail.domain.errors import PayloadTooLarge
from ordertrail.http.problems import problem


class BodySizeLimit:
    """Answer 413 when a body is larger than ``max_bytes``, by header or as it arrives."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
                # The server never hands over more than the declared length: nothing to count.
                await self.app(scope, receive, send)
                return
            chunked = chunked or name == b"transfer-encoding"
        if not chunked:  # no length and not chunked: there is no body (GET, most HEAD and DELETE requests)
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"The request body is larger than {self.max_bytes} bytes: send less per request.")
        await response(scope, receive, send)


class _TooLarge(PayloadTooLarge):
    """The request body is larger than the server accepts: send less per request."""
