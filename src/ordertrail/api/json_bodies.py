"""JSON request bodies: no object with the same key twice (else 422); the media type is checked by
``http.limits.JsonBodies`` (415) before any route runs.

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

from ordertrail.domain.errors import InvalidInput
from ordertrail.http.problems import malformed_json

_QUOTE_BLANK = re.compile(rb'"[ \t\r\n]')


def loads(body: bytes) -> Any:
    """The JSON document in ``body``; raises MalformedBody (it does not parse) or InvalidInput (an object with a
    duplicate key)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise malformed_json(str(error)) from error
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


async def _refuse_duplicate_keys(request: Request) -> None:
    # FastAPI has parsed the body already (a malformed one never gets here, nor one that is not JSON: the
    # JsonBodies middleware answered 415); only a sent body is checked.
    body = await request.body()
    if body:
        refuse_duplicate_keys(body, await request.json())


# For routes whose JSON body FastAPI parses: `dependencies=[JSON_BODY]`.
JSON_BODY = Depends(_refuse_duplicate_keys)
