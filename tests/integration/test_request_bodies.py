"""One answer for bad bodies on every route: malformed JSON, a body that is not JSON, and one that is too large.

Every route of the OpenAPI document that takes a JSON body is tried, the hot paths' included, so a new route
cannot answer these differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth

LIMIT = 4096
TYPE_URI = re.compile(r"^urn:ordertrail:error:[a-z]+(-[a-z]+)*$")


@pytest.fixture
def small_bodies(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", max_body_bytes=LIMIT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def json_routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), path.replace("{endpoint_id}", "1")))
    return found


def assert_problem(response: httpx.Response, status: int, kind: str, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert TYPE_URI.match(body["type"]) and body["type"] == f"urn:ordertrail:error:{kind}", body
    assert body["status"] == status and body["title"] and body["detail"], body
    assert [e["field"] for e in body["errors"]] == [field] and body["errors"][0]["reason"], body


def test_every_json_route_answers_bad_bodies_alike(
    small_bodies: TestClient, make_key: Callable[..., str], tmp_path: Path
) -> None:
    client = small_bodies
    key = make_key("admin")
    routes = json_routes(client)
    assert ("POST", "/api/v1/scans") in routes and ("POST", "/api/v1/orders") in routes and len(routes) >= 8
    json_type = {**auth(key), "content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield b'{"note": "'
        for _ in range(8):
            yield b"x" * 1024
        yield b'"}'

    # Courier events are signed: the signature is checked before a byte of the body is read, so an unsigned
    # body, however malformed, is a 401 (tests/integration/couriers); the body rules below apply once it verifies.
    routes = [(method, path) for method, path in routes if not path.startswith("/api/v1/carrier-events")]
    for signed_path in ("/api/v1/carrier-events", "/api/v1/carrier-events/easypost"):
        unsigned = client.post(f"{signed_path}?integration=1", content=b'{"events": ', headers=json_type)
        assert unsigned.status_code == 401, unsigned.text
    for method, path in routes:
        malformed = client.request(method, path, content=b'{"order_number": ', headers=json_type)
        assert_problem(malformed, 422, "malformed-body", "body")
        not_utf8 = client.request(method, path, content=b'{"note": "\xff\xfe"}', headers=json_type)
        assert_problem(not_utf8, 422, "malformed-body", "body")
        text = client.request(method, path, content=b"{}", headers={**auth(key), "content-type": "text/plain"})
        assert_problem(text, 415, "unsupported-media-type", "content-type")
        untyped = client.request(method, path, content=b"{}", headers=auth(key))
        assert_problem(untyped, 415, "unsupported-media-type", "content-type")
        too_long = client.request(method, path, content=b'{"note": "' + b"x" * LIMIT + b'"}', headers=json_type)
        assert_problem(too_long, 413, "payload-too-large", "body")
        streamed = client.request(method, path, content=chunks(), headers=json_type)
        assert_problem(streamed, 413, "payload-too-large", "body")
    # The camera frames take images, and still answer an oversized one the same way.
    frame = client.post("/api/v1/decode", content=b"\xff" * (LIMIT + 1), headers={"content-type": "image/jpeg"})
    assert_problem(frame, 413, "payload-too-large", "body")
    # Problem+json is JSON too (a client may send one back), and a charset parameter changes nothing.
    typed = {**auth(key), "content-type": "application/problem+json; charset=utf-8"}
    assert client.post("/api/v1/orders", content=b"{}", headers=typed).status_code == 422
