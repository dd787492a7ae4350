"""Server-Sent Events responses: a live stream written straight to the ASGI server, with disconnect watching."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ordertrail.realtime.bus import Subscription

SSE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # tell reverse proxies not to buffer the stream
}


class FrameSource(Protocol):
    """What a stream response sends: SSE frames fed by one bus subscription (a tracking or a console stream)."""

    subscription: Subscription

    def frames(self) -> AsyncIterator[bytes]: ...


class EventStreamResponse(Response):
    """``text/event-stream`` from a stream of frames; ``on_close`` runs when the stream ends for any reason.

    Written by hand rather than with StreamingResponse: one task per client waits for the disconnect and one
    sends, and each message's frame is shared bytes, which keeps ten thousand open streams cheap.
    """

    media_type = "text/event-stream"

    def __init__(self, stream: FrameSource, *, on_close: Callable[[], Awaitable[None]] | None = None) -> None:
        # Not Response.__init__: it would announce Content-Length: 0.
        self.status_code = 200
        self.background = None
        self.raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8")] + [
            (name.lower().encode(), value.encode()) for name, value in SSE_HEADERS.items()
        ]
        self.stream = stream
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        subscription = self.stream.subscription

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            subscription.close()

        watcher = asyncio.get_running_loop().create_task(watch_disconnect())
        frames: AsyncIterator[bytes] = self.stream.frames()
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for frame in frames:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-write
        finally:
            subscription.close()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if self.on_close is not None:
                await self.on_close()
