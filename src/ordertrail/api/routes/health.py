"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.http.deps import ServicesDep, json_response, runtime_of
from ordertrail.http.problems import problem
from ordertrail.storage.database import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", summary="The store is reachable (and how live updates travel)")
async def readyz(request: Request, services: ServicesDep) -> Response:
    try:
        await ping(services.db)
    except Exception:
        return problem(503, "The store is not reachable.")
    # Redis being down does not make the process unready (streams read the store instead): it is only reported.
    healthy = getattr(runtime_of(request).bus, "healthy", None)
    live = "in-process" if healthy is None else ("redis" if healthy else "polling the store (redis unavailable)")
    return json_response({"status": "ready", "live": live})
