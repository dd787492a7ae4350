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

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

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
<script src="{assets}/{viewer}"></script>
<script src="{assets}/{starter}"></script>
</body>
</html>
"""

SWAGGER_PAGE = _PAGE.format(
    title="API reference (Swagger UI)",
    head=(
        f'<link rel="stylesheet" href="{ASSETS}/vendor/swagger-ui.css">\n'
        f'<link rel="stylesheet" href="{ASSETS}/docs.css">'
    ),
    # Swagger UI renders a <main> of its own: the page's would be a second one around it.
    wrapper="div",
    label="",
    root="swagger-ui",
    assets=ASSETS,
    viewer="vendor/swagger-ui-bundle.js",
    starter="swagger-start.js",
)
REDOC_PAGE = _PAGE.format(
    title="API reference (ReDoc)",
    head=f'<link rel="stylesheet" href="{ASSETS}/docs.css">',
    wrapper="main",
    label=' aria-label="API reference (ReDoc)"',
    root="redoc",
    assets=ASSETS,
    viewer="vendor/redoc.standalone.js",
    starter="redoc-start.js",
)


async def swagger_ui(_: Request) -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE)


async def redoc(_: Request) -> HTMLResponse:
    return HTMLResponse(REDOC_PAGE)


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their files to ``app`` (FastAPI's own CDN-loading docs routes stay off)."""
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=HERE / "assets"), name="api-docs-assets")
