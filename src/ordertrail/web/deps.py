"""What page handlers need from the running app: services, settings, the public context, the template engine.

``get_services`` and ``client_address`` are the API's own, re-exported for the page modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from ordertrail.http.client import client_address as client_address
from ordertrail.http.deps import get_services as get_services
from ordertrail.services.context import Services
from ordertrail.services.tracking.public_context import PublicContext

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def get_public(request: Request) -> PublicContext:
    context: PublicContext = request.app.state.public
    return context


def render(
    name: str, context: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """A page from ``templates/``, autoescaped."""
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status_code, headers=headers)


ServicesDep = Annotated[Services, Depends(get_services)]
PublicDep = Annotated[PublicContext, Depends(get_public)]
