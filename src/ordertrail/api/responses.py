"""What routes declare about their answers in the OpenAPI document: the errors each can give, all as
problem+json (``http/problems.py``), with the headers that come with them, and which routes take no key.

``errors(401, 403, 404)`` is a route's ``responses=``; every route also lists 408, since the server answers a
request whose headers or body arrive too slowly before any route sees it (``http/deadlines.py``).
"""

from __future__ import annotations

from typing import Any

PROBLEM = "Problem"
PROBLEM_REF = f"#/components/schemas/{PROBLEM}"
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}

# The statuses that sets of routes share.
KEY = (401, 403)  # a key is needed, of certain roles
BODY = (413, 415, 422)  # a JSON body: its size, its media type, its fields
WRITES = (507,)  # the route stores something: refused while the disk is full

DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid API key was sent",
    403: "The key's role may not do this",
    404: "Not found",
    408: "The request's headers or body did not arrive in time",
    409: "Conflicts with what is stored",
    413: "The body is too large",
    415: "The body is not JSON (Content-Type: application/json)",
    422: "Invalid input: the fields named and why",
    429: "Too many requests: wait Retry-After seconds",
    503: "Not ready",
    507: "The store is out of disk space: nothing was stored; try again after Retry-After seconds",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
        "required": True,
    }
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}, "required": True}},
    429: _RETRY_AFTER,
    507: _RETRY_AFTER,
}

# What the server answers for the statuses whose kind is the same on every route (copied from real answers), so
# that a viewer shows them rather than an example it builds from the shared schema (which said 400 for a 401).
# The statuses whose kind depends on the route (404, 409, 422…) get their examples per operation (api/examples).
_TIMEOUT_DETAIL = "The request body did not arrive within 20 s."
_MEDIA_DETAIL = "This endpoint takes JSON (Content-Type: application/json), not 'text/plain'."
EXAMPLES: dict[int, dict[str, Any]] = {
    401: {
        "type": "urn:ordertrail:error:unauthenticated",
        "title": "Unauthenticated",
        "status": 401,
        "detail": "A valid API key is required: send it as 'Authorization: Bearer <key>'.",
    },
    408: {
        "type": "urn:ordertrail:error:request-timeout",
        "title": "Request timeout",
        "status": 408,
        "detail": _TIMEOUT_DETAIL,
        "errors": [{"field": "body", "reason": _TIMEOUT_DETAIL}],
    },
    415: {
        "type": "urn:ordertrail:error:unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": _MEDIA_DETAIL,
        "errors": [{"field": "content-type", "reason": _MEDIA_DETAIL}],
    },
}

# openapi_extra of a route that takes no key (documented as such, so a generated client sends none).
PUBLIC: dict[str, Any] = {"security": []}


def errors(*statuses: int | tuple[int, ...], notes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer ``statuses`` (numbers or the sets above), plus 408.

    ``notes`` replaces the general description of a status with what it means on this route.
    """
    flat = {408}
    for status in statuses:
        flat.update(status if isinstance(status, tuple) else (status,))
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted(flat):
        content = PROBLEM_CONTENT
        if status in EXAMPLES:
            content = {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}, "example": EXAMPLES[status]}}
        response: dict[str, Any] = {"description": (notes or {}).get(status, DESCRIPTIONS[status]), "content": content}
        if status in HEADERS:
            response["headers"] = HEADERS[status]
        documented[status] = response
    return documented
