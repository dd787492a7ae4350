"""What each request leaves behind: its operations metrics and (``ORDERTRAIL_REQUEST_LOG``) one log line.

The log line names the route template, not the path: paths carry tracking numbers and signed links.

One pure ASGI middleware outside everything else. Requests are labelled by route template (``/api/v1/parcels/
{tracking_number}``, never the path itself), method and status class (``2xx``…), so the number of series stays
bounded whatever clients send; a path no route knows is ``unmatched``. Live streams are counted, and open streams
gauged, but their lifetime is not a latency.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ordertrail.adapters.metrics import Metrics

# The hot paths (api/hot_paths.py) answer outside the router, so they name their route template here.
ROUTE_KEY = "ordertrail.route"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_STREAM = b"text/event-stream"
_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

log = logging.getLogger("ordertrail.requests")


def route_of(scope: Scope) -> str:
    """The template of the route that answered (bounded: never the raw path)."""
    named = scope.get(ROUTE_KEY)
    if named is not None:
        return str(named)
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestObserver:
    """Counts and times every HTTP request and, when ``log_format`` is ``text`` or ``json``, logs it."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, log_format: str = "off") -> None:
        self.app = app
        self.metrics = metrics
        self.log_format = log_format
        self._logging = log_format in ("text", "json")
        if self._logging:
            # Its own level and handler: the server's logging (uvicorn's) leaves other loggers at WARNING. One bare
            # line per request (the JSON is the whole line, for log shippers), to standard error like uvicorn's.
            log.setLevel(logging.INFO)
            if not log.handlers:
                handler = logging.StreamHandler()
                handler.setFormatter(logging.Formatter("%(message)s"))
                log.addHandler(handler)
                log.propagate = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.metrics.enabled or self._logging):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0  # none yet: 500 if the app fails before answering (the server answers that), else none at all
        stream = False
        request_id = self._request_id(scope) if self._logging else ""

        async def observed(message: Message) -> None:
            nonlocal status, stream
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                if status == 200:  # a stream's answer; the test below costs every other answer nothing
                    for name, value in headers:
                        if name == b"content-type":
                            stream = value.startswith(_STREAM)
                            break
                if stream:
                    self.metrics.stream_opened()
                if self._logging:
                    message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except BaseException:
            status = status or 500
            raise
        finally:
            seconds = time.perf_counter() - started
            if stream:
                self.metrics.stream_closed()
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_of(scope)
            # A client that went away before its answer (status 0) is "none": not a server error.
            self.metrics.request(method, route, _CLASSES.get(status // 100, "none"), None if stream else seconds)
            if self._logging:
                self._log(method, route, status, seconds, request_id)

    @staticmethod
    def _request_id(scope: Scope) -> str:
        """The caller's ``X-Request-ID`` when it is a plain token, else a new one."""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given: str = value.decode("latin-1")
                if _REQUEST_ID.fullmatch(given):
                    return given
                break
        return uuid.uuid4().hex

    def _log(self, method: str, route: str, status: int, seconds: float, request_id: str) -> None:
        duration_ms = round(seconds * 1000, 2)
        if self.log_format == "json":
            line = orjson.dumps(
                {
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "request_id": request_id,
                }
            ).decode()
        else:
            line = f"{method} {route} {status} {duration_ms}ms request_id={request_id}"
        log.info(line)
