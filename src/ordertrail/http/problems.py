"""Errors as ``application/problem+json`` (RFC 9457): one table from domain error to HTTP status."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from ordertrail.domain import errors

# Most specific first: the first class an error is an instance of decides.
STATUS_BY_ERROR: list[tuple[type[errors.OrdertrailError], int]] = [
    (errors.UnmatchedScan, 404),
    (errors.NotFound, 404),
    (errors.InvalidInput, 422),
    (errors.Conflict, 409),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.RequestTimeout, 408),
    (errors.RateLimited, 429),
    (errors.StoreFull, 507),
]

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
    507: "Insufficient storage",
}

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("ordertrail.api")


def problem(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    errors_: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": type_ or "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors_:
        body["errors"] = errors_
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(error: errors.OrdertrailError) -> int:
    return next((status for cls, status in STATUS_BY_ERROR if isinstance(error, cls)), 400)


def error_type(error: errors.OrdertrailError) -> str:
    """A stable identifier of the error kind, e.g. ``urn:ordertrail:error:duplicate-order``."""
    # A private subclass (a module's own marker) is the kind of error its public base is.
    name = next(cls.__name__ for cls in type(error).__mro__ if not cls.__name__.startswith("_"))
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    return f"urn:ordertrail:error:{kebab}"


def from_error(error: errors.OrdertrailError) -> Response:
    status = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, errors.RateLimited | errors.StoreFull):
        headers = {"Retry-After": str(error.retry_after_s)}
    problems = error.problems if isinstance(error, errors.InvalidInput) else []
    if not problems and error.field:
        problems = [errors.FieldProblem(error.field, error.detail)]
    return problem(
        status,
        error.detail,
        type_=error_type(error),
        errors_=[{"field": p.field, "reason": p.reason} for p in problems] or None,
        headers=headers,
    )


def field_problems(error: ValidationError | RequestValidationError) -> list[errors.FieldProblem]:
    """Pydantic's errors as field paths (``parcels.0.weight_grams``) with readable reasons."""
    found = []
    for item in error.errors():
        location = [str(part) for part in item["loc"] if part not in ("body",)]
        found.append(errors.FieldProblem(".".join(location) or "body", str(item["msg"])))
    return found


def invalid(problems: list[errors.FieldProblem]) -> Response:
    return from_error(errors.InvalidInput("The request has invalid fields.", problems=problems))


def malformed_json(reason: str) -> errors.MalformedBody:
    """The one error for a body that does not parse, whichever route it was sent to."""
    return errors.MalformedBody(f"The body is not valid JSON: {reason}", field="body")


# FastAPI's answer to a body it could not read (not UTF-8, or the client went away): answered as malformed too.
_UNREADABLE_BODY = "There was an error parsing the body"


def validation_response(error: ValidationError | RequestValidationError) -> Response:
    """422 naming the fields; a body that is not JSON at all is a malformed body, as on the hand-parsed routes."""
    for item in error.errors():
        if item["type"] == "json_invalid":
            position = item["loc"][-1] if len(item["loc"]) > 1 else "?"
            cause = item.get("ctx", {}).get("error", "it does not parse")
            return from_error(malformed_json(f"{cause} (char {position})"))
    return invalid(field_problems(error))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json, and never show a stack trace."""

    async def on_domain_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, errors.OrdertrailError)
        return from_error(error)

    async def on_validation_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError | ValidationError)
        return validation_response(error)

    async def on_http_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400 and error.detail == _UNREADABLE_BODY:
            return from_error(malformed_json("it could not be read as UTF-8 text"))
        return problem(error.status_code, str(error.detail), headers=getattr(error, "headers", None))

    async def on_gone(_: Request, error: Exception) -> Response:
        # The client went away mid-body (or was cut off at the body deadline, http/deadlines.py): not our error,
        # and the answer goes nowhere.
        return problem(400, "The request body was not sent completely.")

    async def on_unexpected(request: Request, error: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return problem(500, "Something went wrong on our side; it has been logged.")

    app.add_exception_handler(errors.OrdertrailError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(ClientDisconnect, on_gone)
    app.add_exception_handler(Exception, on_unexpected)
