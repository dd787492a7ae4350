"""Typed dependencies for handlers: the parts of the server runtime, and the caller's principal.

The server runtime (``runtime.ServerRuntime``) is built by the app's lifespan; ``runtime_of`` is the one place
that finds it on the running app. Handlers declare what they need (``ServicesDep``, ``PublicDep``…); the hot
paths, which run outside FastAPI's dependency injection, call the same accessors with their request.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
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


# Declared so the OpenAPI document names the bearer scheme on every route that needs a key (and Swagger UI
# offers "Authorize"); the header itself is read and checked by ``authenticate``, with our own 401 answers.
API_KEY = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An ordertrail API key, sent as `Authorization: Bearer <key>` (`ordertrail keys create`).",
)
ApiKeyHeader = Annotated[HTTPAuthorizationCredentials | None, Security(API_KEY)]


async def get_principal(connection: HTTPConnection, _: ApiKeyHeader) -> Principal:
    return await principal_of(connection)


async def principal_of(connection: HTTPConnection) -> Principal:
    return await authenticate(get_services(connection), authorization=connection.headers.get("authorization"))


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that admits only keys of the given roles."""
    names = " or ".join(r.value for r in roles)
    needed = f"This needs {'an' if names[0] in 'aeiou' else 'a'} {names} key."

    async def check(connection: HTTPConnection, _: ApiKeyHeader) -> Principal:
        principal = await principal_of(connection)
        if principal.role not in roles:
            raise Forbidden(needed)
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
