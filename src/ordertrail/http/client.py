"""The client's address, the key for rate limits and the stream cap."""

from __future__ import annotations

from starlette.requests import HTTPConnection


def client_address(connection: HTTPConnection) -> str:
    # Behind a reverse proxy, run uvicorn with --proxy-headers so that this is the real client.
    client = connection.client
    return client.host if client is not None else "unknown"
