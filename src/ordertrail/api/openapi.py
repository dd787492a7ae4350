"""The OpenAPI document, including the request bodies that hot paths parse by hand."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from ordertrail import __version__
from ordertrail.api.openapi_examples import document_examples
from ordertrail.api.openapi_streams import document_streams
from ordertrail.api.openapi_webhooks import document_webhooks
from ordertrail.api.responses import PROBLEM

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "Scan ingest, order and parcel tracking. Keys are sent as `Authorization: Bearer <key>`. Every error is "
    "`application/problem+json` (RFC 9457) naming the offending fields; any request may also be answered 500 "
    "(a fault, logged) or 408 (it arrived too slowly)."
)


def install(app: FastAPI, body_models: dict[str, type[BaseModel]], *, server_url: str) -> None:
    """Generate the document once; fill in ``x-body-model`` request bodies from ``body_models``.

    ``server_url`` (``ORDERTRAIL_PUBLIC_BASE_URL``) is the document's one server: generated clients and the docs'
    "Try it out" call the address the service is published at.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title="ordertrail",
            version=__version__,
            summary="Scan ingest, order and parcel tracking.",
            description=DESCRIPTION,
            routes=app.routes,
            servers=[{"url": server_url.rstrip("/"), "description": "This service (ORDERTRAIL_PUBLIC_BASE_URL)"}],
            tags=TAGS,
            license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
            # The README names no repository or docs site, so the contact is a name alone.
            contact={"name": "ordertrail maintainers"},
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for path in document.get("paths", {}).values():
            for operation in path.values():
                name = operation.pop("x-body-model", None) if isinstance(operation, dict) else None
                if name is None:
                    continue
                model = body_models[name]
                schema = model.model_json_schema(ref_template=REF)
                schemas.update(schema.pop("$defs", {}))
                schemas[name] = schema
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model=name)}}},
                }
        document_problems(document)
        document_webhooks(document)
        document_examples(document)
        document_streams(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM,
    "description": "An error, as RFC 9457 problem details (http/problems.py).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri-reference",
            "description": "The kind of error, stable across messages (about:blank for plain HTTP errors).",
            "examples": ["urn:ordertrail:error:invalid-input"],
        },
        "title": {"type": "string", "description": "The HTTP status in words."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, in a sentence for people."},
        "errors": {
            "type": "array",
            "description": "The offending fields (dotted paths such as parcels.0.weight_grams) and why.",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                "additionalProperties": False,
            },
        },
    },
    # Some problems carry more (readiness says which part of the store failed: `store`).
    "additionalProperties": True,
}

# One tag per capability (docs/architecture.md), in the order a new integration meets them.
TAGS = [
    {"name": "orders", "description": "Place orders (each parcel gets a tracking number), read them, print labels."},
    {"name": "scanning", "description": "Record scans, one at a time or in offline batches; unmatched scans."},
    {"name": "tracking", "description": "Public tracking (no key, no personal data) and its live updates (SSE)."},
    {"name": "notifying", "description": "Webhook endpoints, their delivery log and replays; customer emails."},
    {"name": "estimating", "description": "Delivery estimates and their history."},
    {"name": "couriers", "description": "Handing parcels to couriers, and their events joining the same timeline."},
    {"name": "console", "description": "The parcel list and the audit log, for keys and staff sessions."},
    {"name": "analytics", "description": "Delivery figures with published definitions, each a link to its parcels."},
    {"name": "accounts", "description": "Who a key is; pairing scanner devices; reading barcodes from frames."},
    {"name": "health", "description": "Liveness and readiness, for load balancers and orchestrators."},
]


def document_problems(document: dict[str, Any]) -> None:
    """The shared Problem schema, for the error statuses the routes declare (``api/responses.py``).

    FastAPI adds its own 422 (``HTTPValidationError``) to every route with parameters that declares none; the
    API never sends that shape, and a route whose parameters cannot be invalid never sends a 422 at all, so
    those are dropped rather than relabelled.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses: dict[str, Any] = operation.get("responses", {})
            fastapi_422 = responses.get("422", {}).get("content", {}).get("application/json")
            if fastapi_422 is not None:
                del responses["422"]
