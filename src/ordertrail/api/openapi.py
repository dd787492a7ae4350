"""The OpenAPI document, including the request bodies that hot paths parse by hand."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from ordertrail import __version__

REF = "#/components/schemas/{model}"


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
            description="Scan ingest, order and parcel tracking. Errors are application/problem+json (RFC 9457).",
            routes=app.routes,
            servers=[{"url": server_url.rstrip("/")}],
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
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM = "Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM,
    "description": "An error, as RFC 9457 problem details (http/problems.py).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "examples": ["urn:ordertrail:error:invalid-input"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The offending fields (dotted paths such as parcels.0.weight_grams) and why.",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}


def document_problems(document: dict[str, Any]) -> None:
    """Every error answer is problem+json: say so for each operation's documented error statuses (FastAPI's own
    422 shape is not what the API sends), and document the rest under ``default``, since any request can also
    be refused before its route sees it (401, 408, 413, 415, 429…)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's, answered by no route
        schemas.pop(name, None)
    content = {"application/problem+json": {"schema": {"$ref": REF.format(model=PROBLEM)}}}
    for path in document.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    if status == "422":
                        response["description"] = "Invalid input: the fields named and why"
                    response["content"] = content
            responses.setdefault("default", {"description": "An error (problem details)", "content": content})
