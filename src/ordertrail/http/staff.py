"""Staff sessions over HTTP: the session cookie and its flags, who reads (an API key or a session), and the
cross-site request checks (a synchronizer CSRF token plus an Origin / Sec-Fetch-Site check, after OWASP).

The session cookie holds only a random id (the store keeps its hash); it is ``HttpOnly``, ``SameSite=Lax``,
``Secure`` whenever the request came over HTTPS (directly or through a trusted proxy), and scoped to ``/``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Security
from fastapi.security import APIKeyCookie
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ordertrail.domain.errors import CsrfRefused, Unauthenticated
from ordertrail.domain.staff import tokens
from ordertrail.http.client import client_address
from ordertrail.http.deps import ApiKeyHeader, get_services, principal_of, runtime_of
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.context import StaffRules
from ordertrail.services.staff.sessions import StaffSession, session_of

SESSION_COOKIE = "ot_session"
# Before sign-in there is no session to hold a token: the sign-in and invitation forms use a double-submit cookie.
FORM_COOKIE = "ot_form"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Declared so the OpenAPI document names the session as the other way to read the console's routes; the cookie
# is read and checked by ``current_session``.
STAFF_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="staffSession",
    description="A staff session from signing in at /console/login (browsers only; unsafe methods need CSRF).",
)


def get_staff_rules(connection: HTTPConnection) -> StaffRules:
    return runtime_of(connection).base.staff


async def current_session(connection: HTTPConnection) -> StaffSession:
    """The live session of the request's cookie. Raises SessionEnded."""
    return await session_of(
        get_services(connection), get_staff_rules(connection), session_id=connection.cookies.get(SESSION_COOKIE)
    )


async def get_reader(
    connection: HTTPConnection, _: ApiKeyHeader, __: Annotated[str | None, Security(STAFF_SESSION)]
) -> Reader:
    """An API key when the request sends one, else the staff session of its cookie. Raises Unauthenticated."""
    address = client_address(connection)
    if connection.headers.get("authorization") is not None:
        return Reader.of_key(await principal_of(connection), address)
    if connection.cookies.get(SESSION_COOKIE) is None:
        raise Unauthenticated("Send an API key ('Authorization: Bearer <key>') or sign in at /console/login.")
    session = await current_session(connection)
    if isinstance(connection, Request) and connection.method not in SAFE_METHODS:
        await require_csrf(connection, session.csrf_token)
    return Reader.of_staff(session.user, address)


async def get_label_reader(
    connection: HTTPConnection, _: ApiKeyHeader, __: Annotated[str | None, Security(STAFF_SESSION)]
) -> Reader:
    """As ``get_reader``, and a packing bench's scanner key (one bound to a merchant) reads that merchant's: the
    labels to print are the one thing the station shows of the console. Raises Unauthenticated, Forbidden."""
    if connection.headers.get("authorization") is not None:
        return Reader.of_bench(await principal_of(connection), client_address(connection))
    return await get_reader(connection, _, __)


def _cookie(response: Response, request: HTTPConnection, name: str, value: str, max_age: int, samesite: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite=samesite,  # type: ignore[arg-type]
    )


def set_session_cookie(response: Response, request: HTTPConnection, session_id: str, *, max_age: int) -> None:
    _cookie(response, request, SESSION_COOKIE, session_id, max_age, "lax")


def clear_session_cookie(response: Response, request: HTTPConnection) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, secure=request.url.scheme == "https", samesite="lax"
    )


def form_token(request: HTTPConnection, response: Response) -> str:
    """The double-submit token of a form shown before sign-in: the cookie's, or a new one set on ``response``."""
    token = request.cookies.get(FORM_COOKIE)
    if token is None or not tokens.looks_like_secret(token):
        token = tokens.new_secret()
        _cookie(response, request, FORM_COOKIE, token, 3600, "strict")
    return token


def same_origin(request: HTTPConnection) -> bool:
    """False when the browser says the request came from another site.

    ``Origin`` decides when it names an origin. Browsers send ``Origin: null`` for form posts from pages served
    with ``Referrer-Policy: no-referrer`` (every page here) and from opaque origins (sandboxes, ``about:blank``),
    so then ``Sec-Fetch-Site`` decides, and without it the request is refused. With neither header (not a
    browser) only the CSRF token guards the request.
    """
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    if origin is not None and origin != "null":
        allowed = {_origin(str(request.base_url)), _origin(get_staff_rules(request).public_base_url)}
        return origin.rstrip("/") in allowed
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return origin is None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def require_csrf(request: Request, expected: str | None) -> None:
    """Refuse an unsafe request from another origin, or without the expected token (form field or header).

    ``expected`` None: the form's double-submit cookie is the expected token. Raises CsrfRefused.
    """
    if not same_origin(request):
        raise CsrfRefused("This request came from another site.")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    wanted = expected if expected is not None else request.cookies.get(FORM_COOKIE)
    if not given or not wanted or not tokens.same_secret(given, wanted):
        raise CsrfRefused()


ReaderDep = Annotated[Reader, Depends(get_reader)]
LabelReaderDep = Annotated[Reader, Depends(get_label_reader)]
StaffRulesDep = Annotated[StaffRules, Depends(get_staff_rules)]
