"""What a webhook receiver can do to the worker: a huge answer costs it a 64 KiB prefix; a connection that reaches
a refused address sends nothing."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpcore
import pytest

from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import Message
from ordertrail.notify.webhooks import MAX_READ_BYTES, WebhookSender
from tests.conftest import free_port

HUGE = 400 * 1024 * 1024

# A receiver in a process of its own (its buffers are not the worker's): it answers every POST with HUGE bytes,
# written 1 MiB at a time until the client hangs up.
RECEIVER = """
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(400)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str({huge}))
        self.end_headers()
        chunk = b"x" * (1 << 20)
        try:
            for _ in range({huge} // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.server.sent.append(1)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.sent = []
print("ready", flush=True)
server.serve_forever()
"""


@pytest.fixture
def huge_receiver(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    script = tmp_path / "huge_receiver.py"
    script.write_text(RECEIVER.replace("{huge}", str(HUGE)))
    process = subprocess.Popen([sys.executable, str(script), str(port)], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def endpoint(url: str) -> Endpoint:
    return Endpoint(
        id=1,
        merchant_id=1,
        url=url,
        description=None,
        event_types=("*",),
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        previous_secret=None,
        previous_secret_expires_at=None,
        created_at=datetime.now(UTC),
        disabled_at=None,
        disabled_reason=None,
    )


def message() -> Message:
    return Message(
        id=1,
        message_id="msg_huge",
        channel="webhook",
        event_type="parcel.status_changed",
        merchant_id=1,
        endpoint_id=1,
        recipient=None,
        payload='{"type":"parcel.status_changed"}',
        attempts=0,
        created_at=datetime.now(UTC),
    )


def test_a_400_mb_answer_leaves_the_workers_memory_where_it_was(huge_receiver: str) -> None:
    sender = WebhookSender(allow_private=True, ports=None)
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_bytes())
            stop.wait(0.005)

    async def main() -> None:
        # One delivery first, so the client's connection machinery is loaded before the baseline is taken.
        await sender.send(endpoint(huge_receiver), message())
        before = rss_bytes()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results = await asyncio.gather(*(sender.send(endpoint(huge_receiver), message()) for _ in range(4)))
        stop.set()
        sampler.join()
        after = rss_bytes()
        await sender.close()
        for result in results:
            assert result.status_code == 400 and result.error == "HTTP 400"
            assert result.body is not None and result.body == "x" * len(result.body) and len(result.body) == 1000
        peak = max(samples, default=after)
        assert after - before < 20 * 1024 * 1024, (before, after)
        assert peak - before < 20 * 1024 * 1024, (before, peak)

    asyncio.run(main())
    assert MAX_READ_BYTES == 64 * 1024


def test_the_address_a_connection_reached_is_checked_again() -> None:
    # Checked once the connection is open and before the request goes out: whatever resolved or routed it there.
    async def main() -> None:
        server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        strict, relaxed = WebhookSender(allow_private=False), WebhookSender(allow_private=True)
        stream = await httpcore.AnyIOBackend().connect_tcp("127.0.0.1", port)
        try:
            with pytest.raises(Exception, match=r"reached 127\.0\.0\.1: it is a loopback address"):
                await strict._check_peer("connection.connect_tcp.complete", {"return_value": stream})
            await relaxed._check_peer("connection.connect_tcp.complete", {"return_value": stream})
            await strict._check_peer("connection.connect_tcp.started", {})  # other events pass
        finally:
            await stream.aclose()
            await strict.close()
            await relaxed.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def test_a_kept_alive_connection_the_receiver_closed_is_not_a_failed_delivery() -> None:
    """A receiver closes an idle kept-alive connection (uvicorn after 5 s, nginx after 75 s) just as the next
    delivery is written on it: the request gets no answer. That attempt never reached the receiver's handler, so
    the sender tries once more on a new connection instead of logging a failure and waiting for its retry."""
    served: list[int] = []  # per connection, the requests it answered
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        # The first connection answers one request and keeps the connection open, then closes it without an
        # answer when the second arrives; every later connection answers normally.
        for index in range(2):
            connection, _ = listener.accept()
            with connection:
                answered = 0
                while True:
                    request = _read_request(connection)
                    if request is None:
                        break
                    if index == 0 and answered == 1:
                        break  # hang up on the request: what a receiver closing an idle connection does
                    connection.sendall(b"HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n")
                    answered += 1
                served.append(answered)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sender = WebhookSender(allow_private=True, ports=None)

    async def main() -> list[int | None]:
        url = f"http://127.0.0.1:{port}/hooks"
        first = await sender.send(endpoint(url), message())
        second = await sender.send(endpoint(url), message())
        await sender.close()
        return [first.status_code, second.status_code]

    try:
        assert asyncio.run(main()) == [204, 204]
    finally:
        listener.close()
    thread.join(timeout=10)
    assert served == [1, 1]  # the second delivery was answered on a connection of its own


def _read_request(connection: socket.socket) -> bytes | None:
    """One HTTP/1.1 request (headers and its Content-Length body), or None when the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head
