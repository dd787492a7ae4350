"""A small router in front of FastAPI for the three hot paths: scan ingest (single and batch) and tracking.

FastAPI's dependency solving and generic encoding cost about as much as a bare endpoint's whole request, so
these requests go straight to their handlers (the same functions the FastAPI routes call, which keep
documenting them in the OpenAPI document). Errors are turned into problem+json here exactly as FastAPI's
handlers do. ``ORDERTRAIL_HOT_PATHS=false`` sends everything through FastAPI instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ordertrail.domain.errors import OrdertrailError
from ordertrail.http.observing import ROUTE_KEY
from ordertrail.http.problems import field_problems, from_error, invalid, problem

Handler = Callable[[Request], Awaitable[Response]]
TRACKING_PREFIX = "/api/v1/tracking/"
logger = logging.getLogger("ordertrail.api")


class HotPaths:
    """Dispatch the hot routes directly; pass everything else to ``inner``."""

    def __init__(self, app: FastAPI, inner: ASGIApp, *, scan: Handler, batch: Handler, tracking: Handler) -> None:
        self.app = app
        self.inner = inner
        self.scan = scan
        self.batch = batch
        self.tracking = tracking

    def _route(self, scope: Scope) -> Handler | None:
        """The handler for the request, if it is a hot one (its route template goes into the scope)."""
        method, path = scope["method"], scope["path"]
        if method == "GET" and path.startswith(TRACKING_PREFIX) and "/" not in path[len(TRACKING_PREFIX) :]:
            scope[ROUTE_KEY] = "/api/v1/tracking/{tracking_number}"
            return self.tracking
        if method == "POST" and path == "/api/v1/scans":
            scope[ROUTE_KEY] = "/api/v1/scans"
            return self.scan
        if method == "POST" and path == "/api/v1/scans/batch":
            scope[ROUTE_KEY] = "/api/v1/scans/batch"
            return self.batch
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._route(scope) if scope["type"] == "http" else None
        if handler is None:
            await self.inner(scope, receive, send)
            return
        scope["app"] = self.app
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except OrdertrailError as error:
            response = from_error(error)
        except ValidationError as error:
            response = invalid(field_problems(error))
        except ClientDisconnect:
            return  # the client went away mid-body (or was cut off at the body deadline): no one to answer
        except Exception as error:
            logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=error)
            response = problem(500, "Something went wrong on our side; it has been logged.")
        await response(scope, receive, send)
