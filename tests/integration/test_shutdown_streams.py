"""Issue 12, finding 12: SIGTERM with live streams open ends them cleanly, and browsers resume on the next server.

A real ``ordertrail serve`` process, 50 real HTTP clients on the live stream of one parcel. On SIGTERM every
stream must end as a complete HTTP response (a stream cut off mid-body would show as a protocol error in the
client), the process must exit on its own, before uvicorn's grace period runs out and it cancels what is left,
and the log must hold no traceback. A new server on the same store then resumes a client from its
``Last-Event-ID``: it gets what was committed while it was away, and nothing twice.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ServerProcess, auth, order_body, scan_body, start_server, wait_for

pytestmark = pytest.mark.slow

STREAMS = 50
GRACE_S = 10  # cli/server.py: uvicorn's timeout_graceful_shutdown
ENV = {"ORDERTRAIL_MAX_STREAMS_PER_ADDRESS": "0", "ORDERTRAIL_PUBLIC_RATE_LIMIT": "0"}


def keys(server: ServerProcess) -> tuple[str, str]:
    assert server.cli("merchants", "create", "Stop Shop").returncode == 0
    merchant = server.cli("keys", "create", "--role", "merchant", "--name", "m", "--merchant", "Stop Shop")
    scanner = server.cli("keys", "create", "--role", "scanner", "--name", "s")
    return merchant.stdout.strip().splitlines()[-1], scanner.stdout.strip().splitlines()[-1]


async def follow(client: httpx.AsyncClient, path: str, opened: asyncio.Event, headers: dict[str, str]) -> list[str]:
    """Read one stream to its end; returns the ids of its messages. Raises if the body is cut off."""
    ids: list[str] = []
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200
        event_id = ""
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                orjson.loads(line[6:])
                ids.append(event_id)
                opened.set()
    return ids


async def streams_through_sigterm(server: ServerProcess, path: str) -> list[list[str] | BaseException]:
    """Open STREAMS streams, wait until each has its first message, SIGTERM the server, read them to the end."""
    limits = httpx.Limits(max_connections=STREAMS + 5)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=httpx.Timeout(30), limits=limits) as client:
        opened = [asyncio.Event() for _ in range(STREAMS)]
        tasks = [asyncio.create_task(follow(client, path, event, {"Last-Event-ID": "0"})) for event in opened]
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), timeout=30)
        server.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=GRACE_S + 20)


def test_sigterm_ends_every_stream_cleanly_and_the_next_server_resumes_it(tmp_path: Path) -> None:
    data = tmp_path / "server-data"
    first = start_server(data, extra_env=ENV)
    try:
        merchant, scanner = keys(first)
        with first.http() as http:
            placed = http.post("/api/v1/orders", json=order_body(), headers=auth(merchant))
            assert placed.status_code == 201, placed.text
            number = placed.json()["parcels"][0]["tracking_number"]
        path = f"/api/v1/tracking/{number}/events"

        ended = asyncio.run(streams_through_sigterm(first, path))
        # Every stream got its whole history (the order_placed event, sequence 1) and a complete end of body.
        assert [e for e in ended if isinstance(e, BaseException)] == []
        assert ended == [["1"]] * STREAMS
        # The process stops on its own, before the grace period would have it cancel the streams. (uvicorn
        # re-raises the SIGTERM once it has shut down gracefully, so the process ends by that signal.)
        assert first.process.wait(timeout=GRACE_S) in (0, -signal.SIGTERM)
    finally:
        first.stop()
    log = first.log.read_text()
    assert "Shutting down" in log and "Finished server process" in log
    for trace in ("Traceback", "Exception in ASGI application", "timeout graceful shutdown exceeded"):
        assert trace not in log, log

    # The next server on the same store: a scan while the client was away, then the client comes back.
    second = start_server(data, extra_env=ENV)
    try:
        with second.http() as http:
            answer = http.post("/api/v1/scans", json=scan_body(number, "processing"), headers=auth(scanner))
            assert answer.status_code == 201, answer.text

        async def resume() -> list[tuple[str, Any]]:
            async with (
                httpx.AsyncClient(base_url=second.base_url, timeout=httpx.Timeout(30)) as client,
                client.stream("GET", path, headers={"Last-Event-ID": "1"}) as response,
            ):
                assert response.status_code == 200
                event_id = ""
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: "):
                        return [(event_id, orjson.loads(line[6:]))]
            raise AssertionError("the stream ended without a message")

        ((event_id, message),) = asyncio.run(resume())
        assert event_id == "2"
        assert orjson.dumps(message).decode().count("processing") >= 1
    finally:
        second.stop()
    wait_for(lambda: second.process.poll() is not None, what="second server stopped")
