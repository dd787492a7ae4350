"""JSON request bodies: only with a JSON media type (else 415), and no object with the same key twice (else 422).

A duplicate key would silently keep its last value, so two parsers (a proxy, a log, this service) could read one
body two ways. The check is cheap on the hot path: orjson parses as usual, and the body is parsed a second time,
keeping every key, only when its text could hold more keys than the parsed objects have (a duplicate, or a
string value that happens to contain ``":``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from fastapi import Depends, Request

from ordertrail.domain.errors import InvalidInput, UnsupportedMediaType

_QUOTE_BLANK = re.compile(rb'"[ \t\r\n]')


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or any ``application/*+json``, with or without parameters (charset)."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def check_media_type(content_type: str | None) -> None:
    """Raises UnsupportedMediaType unless ``content_type`` is a JSON media type."""
    if not is_json_media_type(content_type):
        shown = content_type.split(";", 1)[0].strip() if content_type else "none"
        raise UnsupportedMediaType(
            f"The body must be JSON, sent as 'Content-Type: application/json' (this one is {shown}).",
            field="Content-Type",
        )


def loads(body: bytes) -> Any:
    """The JSON document in ``body``; raises InvalidInput (malformed, or an object with a duplicate key)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"The body is not valid JSON: {error}", field="body") from error
    refuse_duplicate_keys(body, document)
    return document


def refuse_duplicate_keys(body: bytes, document: Any) -> None:
    """Raises InvalidInput naming the first key that appears twice in one object of ``body`` (parsed: ``document``)."""
    if _key_tokens(body) <= _key_count(document):
        return  # as many keys parsed as the text can hold: none was dropped
    json.loads(body, object_pairs_hook=_unique_pairs)


def _key_tokens(body: bytes) -> int:
    # An upper bound of the keys in the text: every key's closing quote is followed by its colon or by a blank.
    # Compact JSON (what devices send) has no blank after a quote, and then the count of `":` is the bound: one
    # pass of a small expression and a byte count, several times cheaper than a full tokenizing expression.
    if _QUOTE_BLANK.search(body) is None:
        return body.count(b'":')
    return sum(body.count(b'"' + after) for after in (b":", b" ", b"\n", b"\r", b"\t"))


def _key_count(document: Any) -> int:
    count = 0
    stack = [document]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(value for value in item.values() if type(value) is dict or type(value) is list)
        elif type(item) is list:
            stack.extend(value for value in item if type(value) is dict or type(value) is list)
    return count


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise InvalidInput(f"The key {key!r} appears twice in one object.", field=key)
        found[key] = value
    return found


async def _require_json(request: Request) -> None:
    # FastAPI has parsed the body already (a malformed one never gets here); only a sent body is checked.
    body = await request.body()
    if body:
        check_media_type(request.headers.get("content-type"))
        refuse_duplicate_keys(body, await request.json())


# For routes that take a JSON body: `dependencies=[JSON_BODY]`.
JSON_BODY = Depends(_require_json)
