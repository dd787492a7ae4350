"""What every console page shares: the signed-in session (or a redirect to sign-in), and rendering with the
session's CSRF token and navigation."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import CsrfRefused, Forbidden, SessionEnded
from ordertrail.http.staff import SESSION_COOKIE, clear_session_cookie, current_session, require_csrf
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.deps import client_address, render

PREFIX = "/console"


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a console path of this site (never another host)."""
    if target and target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


async def signed_in(request: Request) -> StaffSession | Response:
    """The request's live session, or a redirect to the sign-in page that comes back here."""
    try:
        return await current_session(request)
    except SessionEnded:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"{PREFIX}/login?next={quote(target, safe='')}", status_code=303)
        if request.cookies.get(SESSION_COOKIE) is not None:
            clear_session_cookie(response, request)
        return response


async def csrf_refusal(request: Request, session: StaffSession | None) -> Response | None:
    """A 403 page when an unsafe request lacks the token or comes from another site; None when it may go on."""
    try:
        await require_csrf(request, session.csrf_token if session else None)
    except CsrfRefused as error:
        return render("console/refused.html", {"message": error.detail, "session": session}, status_code=403)
    return None


def page(name: str, session: StaffSession, context: dict[str, Any], *, status_code: int = 200) -> Response:
    """A console page for a signed-in user: the session (its user, CSRF token) reaches the template."""
    return render(name, {"session": session, "user": session.user, **context}, status_code=status_code)


def forbidden(session: StaffSession, error: Forbidden) -> Response:
    return page("console/refused.html", session, {"message": error.detail}, status_code=403)


async def staff_reader(request: Request) -> tuple[StaffSession, Reader] | Response:
    """The signed-in person and what they may read, or the page to answer instead (sign-in, or refused)."""
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    try:
        return session, Reader.of_staff(session.user, client_address(request))
    except Forbidden as error:
        return forbidden(session, error)


async def staff_form(request: Request) -> tuple[StaffSession, Reader] | Response:
    """``staff_reader`` for an unsafe request (a form's POST): also refused without the CSRF token or from another
    site."""
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    if (refused := await csrf_refusal(request, signed[0])) is not None:
        return refused
    return signed
