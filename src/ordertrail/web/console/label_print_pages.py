"""Labels to print: the reader's parcels without a printed label (all ticked), a form that downloads one PDF of
the ticked ones and marks them printed, and today's printed labels, each with a Reprint form
(services/console/label_prints.py, the API's use case). Each form carries a fresh idempotency key: submitted (or
downloaded) twice, it records once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from ordertrail.domain.console.label_prints import MAX_PRINT
from ordertrail.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.roles import Permission
from ordertrail.http.deps import SettingsDep
from ordertrail.labels import Layout
from ordertrail.services.console import label_prints
from ordertrail.services.console.readers import Reader
from ordertrail.services.staff.sessions import StaffSession
from ordertrail.web.console.common import PREFIX, forbidden, page, staff_form, staff_reader
from ordertrail.web.deps import ServicesDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/labels")
async def labels_page(request: Request, services: ServicesDep) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    return await _page(services, session, reader)


@router.post("/labels/print")
async def print_labels(
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    key: Annotated[str, Form(max_length=200)] = "",
    layout: Annotated[str, Form(max_length=10)] = Layout.FOUR_BY_SIX.value,
) -> Response:
    signed = await staff_form(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    form = await request.form()
    numbers = [str(v) for v in form.getlist("tracking_number")][: MAX_PRINT + 1]
    try:
        chosen = Layout(layout)
        if not key:
            raise InvalidInput("The form has expired: print again from this page.", field="key")
        done = await label_prints.print_labels(
            services,
            reader,
            tracking_numbers=numbers,
            layout=chosen,
            public_base_url=settings.public_base_url,
            idempotency_key=key,
        )
    except ValueError:
        return await _page(services, session, reader, error="Choose 4×6 in or A6.", status_code=422)
    except Forbidden as error:
        return forbidden(session, error)
    except (InvalidInput, NotFound, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 404 if isinstance(error, NotFound) else 422
        return await _page(services, session, reader, error=error.detail, status_code=status)
    name = f"labels-{done.tracking_numbers[0]}.pdf" if len(done.tracking_numbers) == 1 else "labels.pdf"
    return Response(
        done.pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def _page(
    services: ServicesDep,
    session: StaffSession,
    reader: Reader,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    found = await label_prints.labels_page(services, reader)
    context = {
        "to_print": found.to_print,
        "printed_today": found.printed_today,
        "may_print": reader.may(Permission.PRINT_LABELS),
        "key": tokens.new_secret(),
        # A key per reprint form: each reprint is its own print.
        "reprint_keys": {row.tracking_number: tokens.new_secret() for row in found.printed_today},
        "layouts": [(Layout.FOUR_BY_SIX.value, "4×6 in"), (Layout.A6.value, "A6")],
        "error": error,
    }
    return page("console/labels.html", session, context, status_code=status_code)
