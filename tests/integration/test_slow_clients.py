"""Slow clients cannot hold connections: headers and bodies have deadlines (ORDERTRAIL_HEADER_TIMEOUT_S,
ORDERTRAIL_BODY_TIMEOUT_S), past which the client gets a 408 problem+json and the connection is closed.

Raw sockets against a real ``ordertrail serve``: half-sent headers, half-sent bodies, a body sent a byte at a
time (each byte well inside any idle timeout, the whole far past the deadline), and a connection that says
nothing. Meanwhile the server keeps answering everyone else.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import ServerProcess, auth, start_server

pytestmark = [pytest.mark.slow, pytest.mark.store_independent]

DEADLINE_S = 1.0
# How long the test waits for a connection to be closed: far more than the deadline, far less than the slow
# clients would take to finish (so a server without deadlines fails the test).
PATIENCE_S = 15.0


@pytest.fixture
def deadline_server(tmp_path: Path) -> Iterator[ServerProcess]:
    deadlines = {"ORDERTRAIL_HEADER_TIMEOUT_S": str(DEADLINE_S), "ORDERTRAIL_BODY_TIMEOUT_S": str(DEADLINE_S)}
    running = start_server(tmp_path / "server-data", extra_env=deadlines)
    yield running
    running.stop()


def connect(server: ServerProcess) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(PATIENCE_S)
    return sock


def until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails if it is still open after PATIENCE_S)."""
    received = b""
    with sock:
        while chunk := sock.recv(65536):
            received += chunk
    return received


def assert_408(answer: bytes, field: str) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"content-type: application/problem+json" in head.lower() and b"connection: close" in head.lower()
    problem = json.loads(body)
    assert problem["type"] == "urn:ordertrail:error:request-timeout" and problem["status"] == 408
    assert problem["errors"] == [{"field": field, "reason": problem["detail"]}]


def test_half_sent_requests_are_answered_408_and_closed(deadline_server: ServerProcess) -> None:
    server = deadline_server
    key = server.cli("keys", "create", "--role", "scanner", "--name", "slow").stdout.strip().splitlines()[-1]

    def request_head(path: str) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
        ).encode()

    half_bodies = [connect(server) for _ in range(100)]
    for i, sock in enumerate(half_bodies):  # the hot path's handler, and FastAPI's body parsing
        sock.sendall(request_head("/api/v1/scans" if i % 2 else "/api/v1/pairing/exchange") + b'{"event_id": "')
    half_headers = [connect(server) for _ in range(50)]
    for sock in half_headers:
        sock.sendall(b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
    silent = [connect(server) for _ in range(20)]

    trickling = connect(server)
    trickling.sendall(request_head("/api/v1/scans"))
    stop = threading.Event()

    def trickle() -> None:  # a byte every 50 ms: 4,000 bytes would take 200 s
        try:
            while not stop.wait(0.05):
                trickling.send(b" ")
        except OSError:
            return  # closed by the server: what the test waits for

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        with server.http() as http:  # everyone else is served meanwhile
            assert http.get("/healthz").status_code == 200
            refused = http.post("/api/v1/scans", json={}, headers=auth(key))
            assert refused.status_code == 422
        for sock in half_bodies:
            assert_408(until_closed(sock), "body")
        for sock in half_headers:
            assert_408(until_closed(sock), "headers")
        for sock in silent:
            assert until_closed(sock) == b""  # said nothing, is told nothing
        assert_408(until_closed(trickling), "body")
    finally:
        stop.set()
        sender.join(timeout=PATIENCE_S)
    log = server.log.read_text()
    assert "Traceback" not in log and "unhandled error" not in log, log[-4000:]


def test_clients_still_sending_when_refused_read_their_408_not_a_reset(deadline_server: ServerProcess) -> None:
    # A client that keeps sending its body when the deadline passes: a server that closes at once leaves unread
    # bytes behind, its TCP stack answers them with a reset, and the reset can destroy the 408 before the client
    # reads it (RFC 9112 §9.6). Fifty such clients at once, each sending a byte every millisecond, make that race
    # likely (an immediate close failed two runs in three here).
    server = deadline_server
    key = server.cli("keys", "create", "--role", "scanner", "--name", "eager").stdout.strip().splitlines()[-1]
    head = (
        f"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    clients = [connect(server) for _ in range(50)]
    for sock in clients:
        sock.sendall(head)
    stop = threading.Event()

    def keep_sending(sock: socket.socket) -> None:  # 100,000 bytes at a byte per ms would take 100 s
        try:
            while not stop.wait(0.001):
                sock.send(b" ")
        except OSError:
            return

    senders = [threading.Thread(target=keep_sending, args=(sock,), daemon=True) for sock in clients]
    for sender in senders:
        sender.start()
    try:
        for sock in clients:
            assert_408(until_closed(sock), "body")
    finally:
        stop.set()
        for sender in senders:
            sender.join(timeout=PATIENCE_S)


def read_healthz(answers: IO[bytes]) -> None:
    """One /healthz answer off a kept-alive connection: status line, headers, and a body of Content-Length."""
    assert answers.readline().startswith(b"HTTP/1.1 200")
    length = 0
    while (line := answers.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        length = int(value) if name.lower() == "content-length" else length
    assert json.loads(answers.read(length)) == {"status": "ok"}


def test_a_kept_alive_connection_gets_a_fresh_header_deadline_per_request(deadline_server: ServerProcess) -> None:
    sock = connect(deadline_server)
    started = time.monotonic()
    with sock, sock.makefile("rb") as answers:
        # Requests spread over more than the deadline: each is quick, so none is cut off.
        while time.monotonic() - started < 3 * DEADLINE_S:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            read_healthz(answers)
            time.sleep(DEADLINE_S / 4)  # the client's pace between requests, not a wait for the server
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost:")  # then one request stalls in its headers
        assert_408(answers.read(), "headers")  # everything up to the close


def test_an_idle_kept_alive_connection_outlives_the_header_deadline_until_the_keepalive(tmp_path: Path) -> None:
    # The header deadline is for a request in progress, not for the quiet between requests: a proxy's pooled
    # connection that waits longer than it must still be usable, and is closed only after ORDERTRAIL_KEEPALIVE_S.
    quiet_s = 5.5  # longer than the header deadline, and than uvicorn's own default keep-alive (5 s)
    keepalive_s = 7
    env = {"ORDERTRAIL_HEADER_TIMEOUT_S": str(DEADLINE_S), "ORDERTRAIL_KEEPALIVE_S": str(keepalive_s)}
    server = start_server(tmp_path / "server-data", extra_env=env)
    try:
        sock = connect(server)
        with sock, sock.makefile("rb") as answers:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            read_healthz(answers)
            time.sleep(quiet_s)  # the client's pace between requests, not a wait for the server
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            read_healthz(answers)  # still open
            idle_from = time.monotonic()
            assert answers.read() == b""  # then, left idle, the server closes it
            assert time.monotonic() - idle_from >= keepalive_s * 0.9
    finally:
        server.stop()
