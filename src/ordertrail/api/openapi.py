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
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
