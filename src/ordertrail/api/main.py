"""Entry point for server processes: settings from the environment, validated, then the app."""

from __future__ import annotations

import gc

from starlette.types import ASGIApp

from ordertrail.api.app import create_app
from ordertrail.settings import Settings


def make_app() -> ASGIApp:
    """Build the app from ``ORDERTRAIL_*`` variables (uvicorn calls this in each worker process)."""
    app = create_app(Settings())
    # Everything imported and built so far lives as long as the process. Frozen, the cyclic garbage collector
    # stops walking it: under load a full collection runs about once a second, and took ~80 ms before this
    # (a pause for every request in flight), ~24 ms after (docs/architecture.md).
    gc.collect()
    gc.freeze()
    return app
