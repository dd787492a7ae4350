"""Holding answers to the OpenAPI document: the schema an operation documents for a status, and Redocly's lint."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

REDOCLY = Path(__file__).resolve().parents[1] / "tools" / "node_modules" / ".bin" / "redocly"


def documented_schema(document: dict[str, Any], method: str, path: str, status: int) -> tuple[str, dict[str, Any]]:
    """The media type and schema ``document`` gives for ``status`` of ``method path`` (a path template)."""
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which it does not document"
    content: dict[str, Any] = responses[str(status)].get("content", {})
    assert len(content) == 1, f"{method} {path} {status}: expected one media type, found {list(content)}"
    ((media_type, body),) = content.items()
    assert body.get("schema"), f"{method} {path} {status}: no schema"
    return media_type, body["schema"]


def assert_documented(document: dict[str, Any], response: httpx.Response, path: str) -> Any:
    """``response`` has the status, media type and body (all of it: models forbid extra fields) that the document
    says ``path`` answers; returns the body."""
    method = response.request.method
    media_type, schema = documented_schema(document, method, path, response.status_code)
    assert response.headers["content-type"].split(";")[0] == media_type, (method, path, response.headers)
    # The document's own components as the root, so its "#/components/schemas/…" references resolve.
    validator = Draft202012Validator({**schema, "components": document["components"]}, format_checker=FormatChecker())
    body = response.json()
    failures = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
    assert not failures, f"{method} {path} {response.status_code} is off its schema: {failures[:5]}"
    return body


def redocly_lint(document: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Redocly's ``lint`` with its recommended rules: its JSON report (``totals`` and ``problems``)."""
    assert REDOCLY.exists(), "@redocly/cli is missing: run scripts/install-system (npm ci in tests/tools)"
    target = directory / "openapi.json"
    target.write_text(json.dumps(document))
    result = subprocess.run(
        [str(REDOCLY), "lint", "--extends=recommended", "--format=json", str(target)],
        cwd=directory,  # no redocly.yaml of anyone else's is picked up
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def assert_webhook_documented(document: dict[str, Any], body: bytes, headers: dict[str, str]) -> Any:
    """A delivered webhook is what the document's ``webhooks`` entry of its type says: its signature headers and
    all of its body (the models forbid extra fields); returns the body."""
    payload = json.loads(body)
    assert payload["type"] in document["webhooks"], f"{payload['type']} is sent but not documented"
    operation = document["webhooks"][payload["type"]]["post"]
    for header in operation["parameters"]:
        value = headers.get(header["name"])
        assert value is not None or not header["required"], f"{payload['type']}: no {header['name']} header"
        if value is not None:
            assert not _failures(document, header["schema"], value), (header["name"], value)
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    failures = _failures(document, schema, payload)
    assert not failures, f"{payload['type']} is off its schema: {failures[:5]}"
    return payload


def _failures(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    validator = Draft202012Validator({**schema, "components": document["components"]}, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
