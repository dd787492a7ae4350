"""The signed-in person's own two-step sign-in (TOTP) page: set it up, confirm it with a code, turn it off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from ordertrail.domain.errors import InvalidInput, InvalidTotpCode, SignInLocked
from ordertrail.domain.staff.totp import grouped
from ordertrail.http.staff import StaffRulesDep
from ordertrail.services.staff import second_factor
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, csrf_refusal, page, signed_in
from ordertrail.web.deps import ServicesDep, client_address

router = APIRouter(prefix=f"{PREFIX}/account/two-step", include_in_schema=False)
PATH = f"{PREFIX}/account/two-step"
_NOTICES = {
    "on": "Two-step sign-in is on. From now on, signing in asks for a code from your app.",
    "off": "Two-step sign-in is off. Signing in asks only for your password.",
}


async def _render(
    services: ServicesDep,
    session: StaffSession,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    status = await second_factor.status(services, session.user)
    context = {
        "active": "account",
        "status": status,
        "grouped_secret": grouped(status.secret) if status.secret else None,
        "notice": notice,
        "error": error,
    }
    return page("console/two_step.html", session, context, status_code=status_code)


@router.get("")
async def two_step_page(request: Request, services: ServicesDep, done: str | None = None) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    return await _render(services, session, notice=_NOTICES.get(done or ""))


@router.post("/setup")
async def begin_setup(request: Request, services: ServicesDep) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    if (refused := await csrf_refusal(request, session)) is not None:
        return refused
    try:
        await second_factor.begin_setup(services, session.user)
    except InvalidInput as error:
        return await _render(services, session, error=error.detail, status_code=409)
    # Back to the page (post, redirect, get): a reload shows the same pending secret and makes no new one.
    return RedirectResponse(PATH, status_code=303)


@router.post("/confirm")
async def confirm_setup(
    request: Request, services: ServicesDep, code: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    if (refused := await csrf_refusal(request, session)) is not None:
        return refused
    try:
        await second_factor.confirm_setup(services, session.user, code=code, address=client_address(request))
    except (InvalidInput, InvalidTotpCode) as error:
        return await _render(services, session, error=error.detail, status_code=422)
    return RedirectResponse(f"{PATH}?done=on", status_code=303)


@router.post("/off")
async def turn_off(
    request: Request, services: ServicesDep, rules: StaffRulesDep, code: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    session = await signed_in(request)
    if isinstance(session, Response):
        return session
    if (refused := await csrf_refusal(request, session)) is not None:
        return refused
    try:
        await second_factor.turn_off(services, rules, session.user, code=code, address=client_address(request))
    except SignInLocked as error:
        minutes = max(1, round(error.retry_after_s / 60))
        message = f"Too many wrong codes for this account. Try again in {minutes} min."
        return await _render(services, session, error=message, status_code=429)
    except (InvalidInput, InvalidTotpCode) as error:
        return await _render(services, session, error=error.detail, status_code=422)
    return RedirectResponse(f"{PATH}?done=off", status_code=303)
