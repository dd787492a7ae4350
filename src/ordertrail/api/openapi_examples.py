"""Examples in the document: the request body of every operation that takes JSON, and the main answers
(``api/examples``). They go on the media types, where Swagger UI's "Try it out" and generated docs show them."""

from __future__ import annotations

from typing import Any

from ordertrail.api.examples.answers import ANSWERS
from ordertrail.api.examples.requests import REQUESTS


def document_examples(document: dict[str, Any]) -> None:
    """Put each example on its operation's media type in ``document``."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation_id = operation.get("operationId")
            body = operation.get("requestBody", {}).get("content", {})
            if operation_id in REQUESTS and "application/json" in body:
                body["application/json"] = {**body["application/json"], "example": REQUESTS[operation_id]}
            for status, response in operation.get("responses", {}).items():
                example = ANSWERS.get((operation_id, int(status)))
                if example is None or "content" not in response:
                    continue
                # Copies: error responses share one content object (api/responses.py), and one route's example
                # must not appear on every route's problems.
                response["content"] = {
                    media_type: {**media, "example": example} for media_type, media in response["content"].items()
                }
