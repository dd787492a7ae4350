"""The document's ``webhooks`` (OpenAPI 3.1): one entry per event type the outbox sends, its body's schema
(``api/documents/webhooks.py``), the Standard Webhooks signature headers and what the receiver's answer means
(``notify/worker.py``; docs/notifications.md has the retry schedule)."""

from __future__ import annotations

from typing import Any

from ordertrail.api.documents.webhooks import WEBHOOKS
from ordertrail.api.examples.webhooks import webhook_example

REF = "#/components/schemas/{model}"

SIGNATURE_HEADERS: list[dict[str, Any]] = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The message's id (msg_…), the same on every retry: keep the ids processed to drop repeats.",
        "schema": {"type": "string", "pattern": "^msg_[0-9a-f]{32}$"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "This attempt's time in Unix seconds: refuse one far from your clock (a replayed request).",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": (
            'v1,<base64 HMAC-SHA256 of "id.timestamp.body" with the endpoint\'s whsec_ secret>; for 24 hours after '
            "a rotation two, space-separated (new and old secret). Verify the raw body with a Standard Webhooks "
            "library before parsing it (docs/api.md)."
        ),
        "schema": {"type": "string"},
    },
]

RESPONSES: dict[str, Any] = {
    "2XX": {"description": "Received: the message is delivered and not sent again."},
    "410": {"description": "Gone: the endpoint is disabled, its pending messages held as dead (replay re-enables)."},
    "429": {"description": "Too many: the next attempt waits Retry-After (seconds or an HTTP date, at most 24 h)."},
    "503": {"description": "Unavailable: as 429, Retry-After is honoured; without it, the retry schedule."},
    "default": {
        "description": "Any other answer, a redirect, a timeout or no connection: tried again on the retry schedule."
    },
}


def document_webhooks(document: dict[str, Any]) -> None:
    """Add ``webhooks`` and the schemas of their bodies to ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in dict.fromkeys(WEBHOOKS.values()):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    document["webhooks"] = {
        kind: {
            "post": {
                "tags": ["notifying"],
                "operationId": f"receive_{kind.replace('.', '_')}",  # e.g. receive_parcel_delivered
                "summary": f"{kind}: {(model.__doc__ or '').strip().splitlines()[0]}",
                "description": "Sent to each endpoint of the merchant subscribed to the type, signed with its secret.",
                "security": [],  # the receiver checks the signature headers instead
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF.format(model=model.__name__)},
                            "example": webhook_example(kind),
                        }
                    },
                },
                "responses": RESPONSES,
            }
        }
        for kind, model in WEBHOOKS.items()
    }
