"""Rules every request body meets before a route sees it: its size, and (on the API) its media type.

Pure ASGI, enforced while the body streams in: no cost on small bodies, and one answer for every route, the
hot paths' included, whatever a route would have made of the body.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordertrail.domain.errors import PayloadTooLarge, UnsupportedMediaType
from ordertrail.http.problems import from_error


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: str = value.decode("latin-1").split(";", 1)[0].strip().lower()
            return media_type
    return ""


def is_json(media_type: str) -> bool:
    """``application/json`` and its structured-syntax relatives (``application/merge-patch+json``…)."""
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class JsonBodies:
    """Answer 415 to a request under ``prefix`` whose body is not JSON, except on the routes in ``other_bodies``
    or matching ``other_patterns`` (which check their own bodies, such as the camera frames of the scanner station
    and merchants' logos)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        other_bodies: Collection[str] = (),
        other_patterns: Collection[re.Pattern[str]] = (),
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.other_bodies = frozenset(other_bodies)
        self.other_patterns = tuple(other_patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(self.prefix)
            and scope["path"] not in self.other_bodies
            and _has_body(scope)
            and not is_json(media_type := _media_type(scope))
            and not any(pattern.fullmatch(scope["path"]) for pattern in self.other_patterns)
        ):
            shown = f"'{media_type}'" if media_type else "no Content-Type"
            error = UnsupportedMediaType(
                f"This endpoint takes JSON (Content-Type: application/json), not {shown}.", field="content-type"
            )
            await from_error(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


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
        exceeded = started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Past the limit the app's own answer is dropped, whatever it made of the error (FastAPI turns any
            # failure to read a body into a bare 400): the client gets the one 413 below.
            nonlocal started
            if exceeded and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"The request body is larger than {self.max_bytes} bytes: send less per request."
        response = from_error(_TooLarge(detail, field="body"))
        response.headers["connection"] = "close"  # the rest of the body is not worth reading
        await response(scope, receive, send)


class _TooLarge(PayloadTooLarge):
    """The request body is larger than the server accepts: send less per request."""
