"""The station's routes: the page at ``/scan``, its service worker, and its static files."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import FileResponse, HTMLResponse, Response

from ordertrail.http.assets import StaticAssets, asset_url
from ordertrail.web.station.vocabulary import station_config

HERE = Path(__file__).parent
STATIC = HERE / "static"
# Bump when the cached files change shape: the service worker keys its cache on it.
VERSION = "1"

_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))

router = APIRouter(include_in_schema=False)


def _json_for_script(document: object) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</script>`` can appear)."""
    text = json.dumps(document, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704


@router.get("/scan")
async def station_page() -> HTMLResponse:
    html = _templates.get_template("station.html").render(
        config=_json_for_script({**station_config(), "version": VERSION}),
        version=VERSION,
        icon=asset_url("favicon.svg"),  # without one the browser asks for /favicon.ico, a 404 in its console
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/scan/sw.js")
async def service_worker() -> Response:
    # Served from /scan/ but controls /scan itself too, hence Service-Worker-Allowed.
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/scan"},
    )


def install(app: FastAPI) -> None:
    """Add the station's page and static files to ``app``."""
    app.include_router(router)
    # Compressed, and revalidated by ETag (the service worker keeps its own copies, keyed on VERSION).
    app.mount("/scan/static", StaticAssets(STATIC, "/scan/static"), name="station-static")
