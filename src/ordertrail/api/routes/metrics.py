"""``/metrics``: the operations metrics in Prometheus's text format (docs/deploy.md, "Metrics and logs").

Not part of the API document: it is for the operator's scraper. Open to loopback clients only, unless
``ORDERTRAIL_METRICS_TOKEN`` is set: then to any client that sends that token, and to no one else.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.adapters.metrics import CONTENT_TYPE, exposition
from ordertrail.domain.errors import Forbidden, NotFound, Unauthenticated
from ordertrail.http.client import client_address
from ordertrail.http.deps import RuntimeDep
from ordertrail.services.notifying.delivery import pending_count

router = APIRouter(include_in_schema=False)
log = logging.getLogger("ordertrail.metrics")


@router.get("/metrics")
async def read_metrics(request: Request, runtime: RuntimeDep) -> Response:
    http = runtime.settings.http
    if not http.metrics:
        raise NotFound("Metrics are off on this server (ORDERTRAIL_METRICS=false).")
    if http.metrics_token is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), http.metrics_token.encode()):
            raise Unauthenticated("/metrics needs the metrics token: send 'Authorization: Bearer <token>'.")
    elif not _loopback(client_address(request)):
        raise Forbidden("/metrics answers loopback clients only: set ORDERTRAIL_METRICS_TOKEN to scrape it from afar.")
    try:
        runtime.metrics.outbox_pending(await pending_count(runtime.services))
    except Exception:  # the store is down: the other figures still help, the gauge keeps its last value
        log.warning("metrics: could not count the outbox's pending messages", exc_info=True)
    runtime.metrics.flush()  # this process's latest tallies (the others flush theirs every second)
    body = await asyncio.to_thread(exposition)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
