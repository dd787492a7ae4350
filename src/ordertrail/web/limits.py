"""Rate-limited page requests get a page, not JSON: what happened and when to try again.

API requests (``/api/``) keep problem+json; everything else is a page a person is looking at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from ordertrail.domain.errors import RateLimited
from ordertrail.http import problems
from ordertrail.web.deps import render

API_PREFIX = "/api/"


def wait_text(seconds: int) -> str:
    """``45 seconds``, ``1 minute``, ``3 minutes``: how long, in words."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def rate_limited_page(error: RateLimited, *, now: datetime) -> Response:
    retry_at = (now + timedelta(seconds=error.retry_after_s)).astimezone(UTC)
    context = {"wait": wait_text(error.retry_after_s), "retry_at": f"{retry_at:%H:%M:%S}"}
    return render("rate_limited.html", context, status_code=429, headers={"Retry-After": str(error.retry_after_s)})


def install(app: FastAPI) -> None:
    """Answer RateLimited with the page outside ``/api/`` (more specific than the problem+json handler)."""

    async def on_rate_limited(request: Request, error: Exception) -> Response:
        assert isinstance(error, RateLimited)
        if request.url.path.startswith(API_PREFIX):
            return problems.from_error(error)
        return rate_limited_page(error, now=datetime.now(UTC))

    app.add_exception_handler(RateLimited, on_rate_limited)
