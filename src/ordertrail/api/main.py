"""Entry point for server processes: settings from the environment, validated, then the app."""

from __future__ import annotations

from starlette.types import ASGIApp

from ordertrail.api.app import create_app
from ordertrail.settings import Settings


def make_app() -> ASGIApp:
    """Build the app from ``ORDERTRAIL_*`` variables (uvicorn calls this in each worker process)."""
    return create_app(Settings())
