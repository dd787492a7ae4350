"""Merchants' logos, public (``/merchant-logos/{merchant_id}/{sha256}.png``): the tracking page, the order view and
the customer emails show them.

The address carries the image's hash, so an answer is kept for a year (``immutable``): a new logo has a new
address. Only the current version is served; any other address is a 404, so that nobody learns a merchant's logo
(or that a merchant exists) from its id alone, and an email opened after the logo changed shows its alt text, the
shop's name.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.domain.accounts.merchant_settings import LOGO_EXTENSIONS
from ordertrail.http.assets import IMMUTABLE
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.web.deps import ServicesDep

router = APIRouter(include_in_schema=False)
_NAME = re.compile(r"([0-9a-f]{64})\.(png|jpg)")
_NOT_FOUND = Response("No such logo.", status_code=404, media_type="text/plain")


@router.get("/merchant-logos/{merchant_id}/{name}")
async def merchant_logo(merchant_id: int, name: str, request: Request, services: ServicesDep) -> Response:
    found = _NAME.fullmatch(name)
    if found is None or not 1 <= merchant_id <= 2**31 - 1:
        return _NOT_FOUND
    sha256, extension = found.groups()
    stored = await merchant_service.logo_content(services, merchant_id, sha256)
    if stored is None or LOGO_EXTENSIONS[stored[0]] != extension:
        return _NOT_FOUND
    media_type, content = stored
    headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{sha256}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    # X-Content-Type-Options: nosniff comes with every answer (http/security.py): the type is what was decoded.
    return Response(content, media_type=media_type, headers=headers)
