"""The live streams' messages in the document: what each ``data:`` holds (``api/documents/live.py``), the ids,
and an example of the bytes.

OpenAPI 3.1 can only call an event stream a string; OpenAPI 3.2 describes its messages with the media type's
``itemSchema``. Until the document is 3.2 that goes in ``x-itemSchema``, in 3.2's shape (``id``, ``data`` with a
``contentSchema``, ``retry``), so tools that know it read it and the rest ignore it. The data's schema is inline
there, not a component: linters do not follow references out of extensions, and would call it unused.
"""

from __future__ import annotations

from typing import Any

from ordertrail.api.documents.live import LiveUpdateOut
from ordertrail.api.examples.streams import PARCEL_STREAM

REF = "#/components/schemas/{model}"
STREAM = "text/event-stream"

FORMAT = (
    "Server-Sent Events (UTF-8). First `retry: <ms>` (how long EventSource waits before reconnecting), then one "
    "message per new event (of the parcel, or of each parcel on an order's stream): `id: <id>` and one `data:` "
    "line of JSON, ending in a blank line (x-itemSchema describes both); a `: keep-alive` comment every few "
    "seconds in between. No `event:` field: every message is the default type, `message`. Reconnect with the "
    "last id as Last-Event-ID (or ?after=) to get what was missed."
)


def item_schema(data: dict[str, Any]) -> dict[str, Any]:
    """One message of a stream whose ``data:`` is ``data`` (a JSON Schema), in OpenAPI 3.2's itemSchema shape."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[0-9]+(-[0-9]+)*$",
                "description": "A parcel's stream: the event's sequence. An order's: each parcel's last sequence, "
                "in parcel order, joined by '-' (3-5).",
            },
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": data,
            },
            "retry": {
                "type": "integer",
                "minimum": 0,
                "description": "Only in the first message: reconnect delay, ms.",
            },
        },
    }


def document_streams(document: dict[str, Any]) -> None:
    """Describe the messages of every ``text/event-stream`` answer in ``document``."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    data = LiveUpdateOut.model_json_schema(ref_template=REF)
    for name, schema in data.pop("$defs", {}).items():
        schemas.setdefault(name, schema)  # the public event, notice, estimate: components the tracking answer uses
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                if STREAM not in response.get("content", {}):
                    continue
                response["content"][STREAM] = {
                    "schema": {"type": "string", "description": FORMAT},
                    "x-itemSchema": item_schema(data),
                    "example": PARCEL_STREAM,
                }
