"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.api.documents.operations import HealthOut, ReadyOut
from ordertrail.api.responses import PUBLIC, errors
from ordertrail.domain.errors import StoreFull
from ordertrail.http.deps import ServicesDep, json_response, runtime_of
from ordertrail.http.problems import error_type, problem
from ordertrail.storage.database import ping, write_problem
from ordertrail.storage.failures import RETRY_AFTER_S

STORE_FULL_TYPE = error_type(StoreFull(RETRY_AFTER_S))  # the type a refused write carries, too

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="The process is up",
    description=(
        "Needs no key and does not touch the store, so it stays 200 while the database is down: use it for "
        "liveness, and `/readyz` for readiness."
    ),
    response_model=HealthOut,
    responses=errors(),
    openapi_extra=PUBLIC,
)
async def check_health() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    summary="The store is reachable and writable (and how live updates travel)",
    description=(
        "Needs no key. Answers 503 with a `store` field (`unreachable` or `unwritable`; a full disk also carries "
        "`Retry-After`), so a load balancer can stop sending traffic; Redis being down does not make it unready, "
        "`live` only reports it."
    ),
    response_model=ReadyOut,
    responses=errors(503, notes={503: "The store is unreachable or unwritable (the problem's `store` says which)"}),
    openapi_extra=PUBLIC,
)
async def check_readiness(request: Request, services: ServicesDep) -> Response:
    try:
        await ping(services.db)
    except Exception:
        return problem(503, "The store is not reachable.", extra={"store": "unreachable"})
    full = write_problem(services.db)
    if full is not None:
        # Not ready for traffic that writes; it clears by itself once space is free (storage/failures.py).
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return problem(503, full, type_=STORE_FULL_TYPE, headers=headers, extra={"store": "unwritable"})
    # Redis being down does not make the process unready (streams read the store instead): it is only reported.
    healthy = getattr(runtime_of(request).bus, "healthy", None)
    live = "in-process" if healthy is None else ("redis" if healthy else "polling the store (redis unavailable)")
    return json_response({"status": "ready", "live": live})
