"""The interactive API documentation, served from the package: Swagger UI at /docs and ReDoc at /redoc.

Both viewers are vendored from npm (``scripts/vendor-api-docs``, pinned and integrity-checked), so the docs work
with no network and under a policy that allows scripts from this server only. Each page starts its viewer from a
small file of ours (no inline script); Swagger UI's "Authorize" button takes an API key (the document's bearer
scheme) and keeps it in the browser's local storage across reloads.

Both viewers fail accessibility checks as shipped (axe-core: low-contrast colours, skipped heading levels, a
nested link in each operation's button, an unnamed select). What a setting or our stylesheet can fix is fixed
there; the few things only the rendered page can fix (a heading level, a select's name) the starters repair on
the page as it renders, so the vendored files stay exactly as published.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from ordertrail.http.assets import StaticAssets

HERE = Path(__file__).parent
ASSETS = "/docs/assets"
PATHS = ("/docs", "/redoc")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · ordertrail API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{head}
</head>
<body>
<{wrapper} id="{root}"{label}></{wrapper}>
<script src="{viewer}"></script>
<script src="{starter}"></script>
</body>
</html>
"""


@functools.cache
def docs_assets() -> StaticAssets:
    """The viewers' files, gzipped and content-hashed like the customer pages' (the two viewers are 2.8 MB, about
    0.8 MB gzipped; a hashed URL is cached for a year). Read at the first docs request, not at every start."""
    return StaticAssets(HERE / "assets", ASSETS)


@functools.cache
def swagger_page() -> str:
    url = docs_assets().url
    return _PAGE.format(
        title="API reference (Swagger UI)",
        head=(
            f'<link rel="stylesheet" href="{url("vendor/swagger-ui.css")}">\n'
            f'<link rel="stylesheet" href="{url("docs.css")}">'
        ),
        # Swagger UI renders a <main> of its own: the page's would be a second one around it.
        wrapper="div",
        label="",
        root="swagger-ui",
        viewer=url("vendor/swagger-ui-bundle.js"),
        starter=url("swagger-start.js"),
    )


@functools.cache
def redoc_page() -> str:
    url = docs_assets().url
    return _PAGE.format(
        title="API reference (ReDoc)",
        head=f'<link rel="stylesheet" href="{url("docs.css")}">',
        wrapper="main",
        label=' aria-label="API reference (ReDoc)"',
        root="redoc",
        viewer=url("vendor/redoc.standalone.js"),
        starter=url("redoc-start.js"),
    )


async def swagger_ui(_: Request) -> HTMLResponse:
    return HTMLResponse(swagger_page())


async def redoc(_: Request) -> HTMLResponse:
    return HTMLResponse(redoc_page())


async def _assets(scope: Scope, receive: Receive, send: Send) -> None:
    await docs_assets()(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their files to ``app`` (FastAPI's own CDN-loading docs routes stay off)."""
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.mount(ASSETS, _assets, name="api-docs-assets")
