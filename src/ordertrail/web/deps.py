"""What page handlers need: the template engine, and the runtime's parts (``http/deps.py``) re-exported."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from ordertrail.domain.tracking import tracking_number as tn
from ordertrail.http.assets import asset_url
from ordertrail.http.client import client_address as client_address
from ordertrail.http.deps import PublicDep as PublicDep
from ordertrail.http.deps import ServicesDep as ServicesDep

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def html_datetime(value: str) -> str:
    """An ISO 8601 instant as HTML's ``<time datetime>`` takes it: at most three fractional-second digits."""
    return re.sub(r"(\.\d{1,3})\d*", r"\1", value, count=1)


TEMPLATES.filters["html_datetime"] = html_datetime
TEMPLATES.filters["tn_display"] = tn.display  # "OT 1234 5678 90K": grouped, for people to read and type
TEMPLATES.globals["asset"] = asset_url  # {{ asset("css/ordertrail.css") }}: the URL with the file's content hash


def render(
    name: str, context: dict[str, Any], *, status_code: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """A page from ``templates/``, autoescaped."""
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status_code, headers=headers)
