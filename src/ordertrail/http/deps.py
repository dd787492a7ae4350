"""Typed dependencies for handlers: the parts of the server runtime, and the caller's principal.

The server runtime (``runtime.ServerRuntime``) is built by the app's lifespan; ``runtime_of`` is the one place
that finds it on the running app. Handlers declare what they need (``ServicesDep``, ``PublicDep``…); the hot
paths, which run outside FastAPI's dependency injection, call the same accessors with their request.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.responses import Response

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import Forbidden
from ordertrail.runtime import ServerRuntime
from ordertrail.services.accounts.keys import authenticate
from ordertrail.services.context import Services
from ordertrail.services.limits.lockouts import Lockout
from ordertrail.services.scanning.ingestor import ScanIngestor
from ordertrail.services.tracking.cache import TrackingCache
from ordertrail.services.tracking.public_context import PublicContext
from ordertrail.settings import Settings


def runtime_of(connection: HTTPConnection) -> ServerRuntime:
    """The running server's runtime (set by the lifespan before the first request)."""
    runtime: ServerRuntime = connection.app.state.runtime
    return runtime


def get_services(connection: HTTPConnection) -> Services:
    return runtime_of(connection).services


def get_ingestor(connection: HTTPConnection) -> ScanIngestor:
    return runtime_of(connection).ingestor


def get_settings(connection: HTTPConnection) -> Settings:
    return runtime_of(connection).settings


def get_public(connection: HTTPConnection) -> PublicContext:
    return runtime_of(connection).public


def get_tracking_cache(connection: HTTPConnection) -> TrackingCache:
    return runtime_of(connection).tracking_cache


def get_pairing_lockout(connection: HTTPConnection) -> Lockout:
    return runtime_of(connection).pairing_lockout


def get_secret_key(connection: HTTPConnection) -> bytes:
    return runtime_of(connection).base.secret_key


async def get_principal(connection: HTTPConnection) -> Principal:
    return await authenticate(get_services(connection), authorization=connection.headers.get("authorization"))


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that admits only keys of the given roles."""

    async def check(connection: HTTPConnection) -> Principal:
        principal = await get_principal(connection)
        if principal.role not in roles:
            raise Forbidden(f"This needs a {' or '.join(r.value for r in roles)} key.")
        return principal

    return check


RuntimeDep = Annotated[ServerRuntime, Depends(runtime_of)]
ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PublicDep = Annotated[PublicContext, Depends(get_public)]
SecretKeyDep = Annotated[bytes, Depends(get_secret_key)]
PairingLockoutDep = Annotated[Lockout, Depends(get_pairing_lockout)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]
MerchantOrAdminDep = Annotated[Principal, Depends(require(Role.MERCHANT, Role.ADMIN))]


def json_response(document: object, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Ready-made JSON bytes: skips FastAPI's generic encoder, which costs too much on hot paths."""
    return Response(orjson.dumps(document), status_code=status_code, media_type="application/json", headers=headers)
