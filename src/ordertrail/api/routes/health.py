"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ordertrail.api.deps import ServicesDep, json_response
from ordertrail.api.problems import problem
from ordertrail.storage.database import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get("/readyz", summary="The store is reachable")
async def readyz(services: ServicesDep) -> Response:
    try:
        await ping(services.db)
    except Exception:
        return problem(503, "The store is not reachable.")
    return json_response({"status": "ready"})
