"""Signing in (password, then the TOTP code when the account has one) and out, and choosing a password from an
invitation."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import (
    InvalidInvitation,
    InvalidTotpCode,
    SignInChallengeEnded,
    SignInFailed,
    SignInLocked,
    WeakPassword,
)
from ordertrail.domain.staff.passwords import MIN_LENGTH
from ordertrail.http.staff import StaffRulesDep, clear_session_cookie, form_token, set_session_cookie
from ordertrail.services.staff import accounts, sessions
from ordertrail.services.staff.context import StaffRules
from ordertrail.web.console.common import PREFIX, csrf_refusal, safe_next, signed_in
from ordertrail.web.deps import ServicesDep, client_address, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _with_form_token(request: Request, name: str, context: dict[str, Any], **options: Any) -> Response:
    """A page with a pre-sign-in form: its double-submit token in the form and, when new, in a cookie."""
    cookie = Response()
    response = render(name, {**context, "csrf_token": form_token(request, cookie), "session": None}, **options)
    response.raw_headers.extend(h for h in cookie.raw_headers if h[0] == b"set-cookie")
    return response


def _login_page(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"next": next_url, "email": email, "error": error, "notice": notice}
    return _with_form_token(request, "console/login.html", context, status_code=status_code, headers=headers)


@router.get("/login")
async def login_page(request: Request, next: str | None = None, email: str = "", done: str | None = None) -> Response:
    notice = "Your password is set. Sign in with it." if done == "password" else None
    if done == "signed_out":
        notice = "You are signed out."
    return _login_page(request, next_url=safe_next(next), email=email[:320], notice=notice)


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    rules: StaffRulesDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = PREFIX,
) -> Response:
    if (refused := await csrf_refusal(request, None)) is not None:
        return refused
    target = safe_next(next)
    try:
        signed = await sessions.sign_in(
            services, rules, email=email, password=password, address=client_address(request)
        )
    except SignInLocked as error:
        return _locked(request, target, email, error)
    except SignInFailed as error:
        return _login_page(request, next_url=target, email=email, error=error.detail, status_code=401)
    if isinstance(signed, sessions.CodeNeeded):
        return _code_page(request, challenge=signed.challenge, next_url=target)
    return _signed_in(request, rules, signed, target)


def _locked(request: Request, target: str, email: str, error: SignInLocked) -> Response:
    minutes = max(1, round(error.retry_after_s / 60))
    message = f"Too many failed sign-ins for this account. It is locked: try again in {minutes} min."
    return _login_page(
        request,
        next_url=target,
        email=email,
        error=message,
        status_code=429,
        headers={"Retry-After": str(error.retry_after_s)},
    )


def _signed_in(request: Request, rules: StaffRules, signed: sessions.SignedIn, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, signed.session_id, max_age=int(rules.session_max.total_seconds()))
    return response


def _code_page(
    request: Request, *, challenge: str, next_url: str, error: str | None = None, status_code: int = 200
) -> Response:
    context = {"challenge": challenge, "next": next_url, "error": error}
    return _with_form_token(request, "console/login_code.html", context, status_code=status_code)


@router.post("/login/code")
async def login_code(
    request: Request,
    services: ServicesDep,
    rules: StaffRulesDep,
    challenge: Annotated[str, Form(max_length=100)] = "",
    code: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = PREFIX,
) -> Response:
    """The second step of signing in: the code from the person's authenticator app."""
    if (refused := await csrf_refusal(request, None)) is not None:
        return refused
    target = safe_next(next)
    try:
        signed = await sessions.finish_sign_in(
            services, rules, challenge=challenge, code=code, address=client_address(request)
        )
    except SignInChallengeEnded as error:
        return _login_page(request, next_url=target, error=error.detail, status_code=401)
    except SignInLocked as error:
        return _locked(request, target, "", error)
    except InvalidTotpCode as error:
        return _code_page(request, challenge=challenge, next_url=target, error=error.detail, status_code=401)
    return _signed_in(request, rules, signed, target)


@router.post("/sign-out")
async def sign_out(request: Request, services: ServicesDep) -> Response:
    return await _sign_out(request, services, everywhere=False)


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(request: Request, services: ServicesDep) -> Response:
    return await _sign_out(request, services, everywhere=True)


async def _sign_out(request: Request, services: ServicesDep, *, everywhere: bool) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    if (refused := await csrf_refusal(request, session)) is not None:
        return refused
    await sessions.sign_out(services, session, address=client_address(request), everywhere=everywhere)
    response = RedirectResponse(f"{PREFIX}/login?done=signed_out", status_code=303)
    clear_session_cookie(response, request)
    return response


def _invitation_page(
    request: Request, token: str, *, email: str, error: str | None = None, status_code: int = 200
) -> Response:
    context = {"email": email, "error": error, "min_length": MIN_LENGTH, "token": token}
    return _with_form_token(request, "console/invitation.html", context, status_code=status_code)


@router.get("/invitation/{token}")
async def invitation_page(token: str, request: Request, services: ServicesDep) -> Response:
    try:
        user = await accounts.invited_user(services, token=token)
    except InvalidInvitation as error:
        return render("console/refused.html", {"message": error.detail, "session": None}, status_code=404)
    return _invitation_page(request, token, email=user.email)


@router.post("/invitation/{token}")
async def choose_password(
    token: str,
    request: Request,
    services: ServicesDep,
    rules: StaffRulesDep,
    password: Annotated[str, Form(max_length=1024)] = "",
    password_again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    if (refused := await csrf_refusal(request, None)) is not None:
        return refused
    try:
        user = await accounts.invited_user(services, token=token)
        if password != password_again:
            return _invitation_page(
                request, token, email=user.email, error="The two passwords are not the same.", status_code=422
            )
        await accounts.accept_invitation(
            services, rules, token=token, password=password, address=client_address(request)
        )
    except InvalidInvitation as error:
        return render("console/refused.html", {"message": error.detail, "session": None}, status_code=404)
    except WeakPassword as error:
        return _invitation_page(request, token, email=user.email, error=error.detail, status_code=422)
    return RedirectResponse(f"{PREFIX}/login?done=password&email={quote(user.email)}", status_code=303)
