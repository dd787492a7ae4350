"""The live streams send what the document says: a ``text/event-stream`` of a retry hint, then messages whose
ids and ``data:`` match the messages' schema (``x-itemSchema``, OpenAPI 3.2's shape), replayed and live alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server

pytestmark = pytest.mark.slow
PATH = "/api/v1/tracking/{tracking_number}/events"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = start_server(tmp_path / "server-data")
    yield running
    running.stop()


def blocks(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """The stream's blocks (up to each blank line) as field: value, comments left out."""
    block: dict[str, str] = {}
    for line in lines:
        if line == "":
            if block:
                yield block
            block = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            assert field not in block, f"{field} twice in one message"
            block[field] = value.removeprefix(" ")


def check(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    validator = Draft202012Validator({**schema, "components": document["components"]}, format_checker=FormatChecker())
    failures = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
    assert not failures, failures[:5]


def test_a_parcel_stream_is_the_documented_event_stream(server: ServerProcess) -> None:
    with server.http() as http:
        document = http.get("/openapi.json").json()
        merchant = _key(server, "--role", "merchant", "--name", "m", "--merchant", "Stream Shop")
        scanner = _key(server, "--role", "scanner", "--name", "s")
        start = datetime.now(UTC) - timedelta(hours=3)
        placed = http.post("/api/v1/orders", json=order_body(placed_at=start.isoformat()), headers=auth(merchant))
        number = placed.json()["parcels"][0]["tracking_number"]
        packed = http.post("/api/v1/scans", json=scan_body(number, "packed", at=start), headers=auth(scanner))
        assert packed.status_code == 201, packed.text

        answer = document["paths"][PATH]["get"]["responses"]["200"]["content"]
        assert list(answer) == ["text/event-stream"]
        item = answer["text/event-stream"]["x-itemSchema"]
        data_schema = item["properties"]["data"]["contentSchema"]

        got: list[dict[str, str]] = []
        timeout = httpx.Timeout(20, read=20)
        with http.stream("GET", f"/api/v1/tracking/{number}/events?after=1", timeout=timeout) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].split(";")[0] == "text/event-stream"
            for block in blocks(stream.iter_lines()):
                got.append(block)
                if len(got) == 2:  # the retry hint, then the packed scan replayed: now one sent live
                    scan = scan_body(number, "dispatched", at=start + timedelta(hours=1))
                    assert http.post("/api/v1/scans", json=scan, headers=auth(scanner)).status_code == 201
                if len(got) == 3:
                    break

    hint, replayed, live = got
    assert set(hint) == {"retry"} and int(hint["retry"]) > 0
    for message in (replayed, live):
        assert set(message) <= set(item["properties"]) and "data" in message
        check(document, item, message)
        check(document, data_schema, json.loads(message["data"]))
    updates = [json.loads(m["data"]) for m in (replayed, live)]
    assert [(m["id"], u["status"]) for m, u in zip((replayed, live), updates, strict=True)] == [
        ("2", "packed"),
        ("3", "dispatched"),
    ]
    # As documented: the estimate travels on live messages only.
    assert "estimated_delivery" not in updates[0] and "estimated_delivery" in updates[1]


def _key(server: ServerProcess, *args: str) -> str:
    if "--merchant" in args:
        assert server.cli("merchants", "create", args[args.index("--merchant") + 1]).returncode == 0
    result = server.cli("keys", "create", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_stream_examples_hold_messages_of_the_documented_shape(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    streams = [
        media
        for operations in document["paths"].values()
        for operation in operations.values()
        for response in operation["responses"].values()
        for media_type, media in response.get("content", {}).items()
        if media_type == "text/event-stream"
    ]
    assert len(streams) == 2  # a parcel's and an order's
    for media in streams:
        hint, *messages = blocks(iter(media["example"].split("\n")))
        assert set(hint) == {"retry"} and messages
        for message in messages:
            check(document, media["x-itemSchema"], message)
            check(document, media["x-itemSchema"]["properties"]["data"]["contentSchema"], json.loads(message["data"]))
