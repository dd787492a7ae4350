"""Benchmark: N concurrent SSE subscribers on one server process, scans posted at a steady rate.

Measures the time from a scan's 2xx to each subscriber receiving its message (p50, p99, max) and the server's
memory per subscriber (RSS after the subscribers connect minus RSS before, divided by N).

    .venv/bin/python -m bench.sse_subscribers --subscribers 1000 10000 --per-parcel 10 --rate 50 --seconds 20

Subscribers are raw asyncio sockets (no HTTP library) in ``--clients`` processes, so the client side costs
as little as possible; the server runs as ``ordertrail serve`` with rate limits and the stream cap off.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
ID_LINE = re.compile(rb"id: (\d+)\n")


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- subscribers (in client processes) ------------------------------------------------------------------


class Subscriber(asyncio.Protocol):
    """One SSE connection: records (sequence, receive time) of each message."""

    def __init__(self, request: bytes, connected: asyncio.Future[None]) -> None:
        self.request = request
        self.connected = connected
        self.buffer = b""
        self.received: list[tuple[int, float]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.connected.done() and b"retry:" in data:
            self.connected.set_result(None)
        self.buffer += data
        if b"\n\n" not in self.buffer:
            return
        complete, _, self.buffer = self.buffer.rpartition(b"\n\n")
        for match in ID_LINE.finditer(complete):
            self.received.append((int(match.group(1)), now))


def client_main(port: int, numbers: list[str], pipe: Connection) -> None:
    raise_fd_limit()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_client(port, numbers, pipe))


async def _client(port: int, numbers: list[str], pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    subscribers: list[tuple[int, Subscriber]] = []
    gate = asyncio.Semaphore(200)  # connect in waves: the listen backlog is finite

    async def connect(index: int, number: str) -> None:
        request = (
            f"GET /api/v1/tracking/{number}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        async with gate:
            connected: asyncio.Future[None] = loop.create_future()
            _, protocol = await loop.create_connection(lambda: Subscriber(request, connected), "127.0.0.1", port)
            await asyncio.wait_for(connected, 60)
            subscribers.append((index, protocol))

    await asyncio.gather(*(connect(i, n) for i, n in enumerate(numbers)))
    pipe.send(("connected", len(subscribers)))
    await loop.run_in_executor(None, pipe.recv)  # wait for "stop"
    pipe.send(("records", [(numbers[index], s.received) for index, s in subscribers]))


# -- the run ---------------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "ordertrail"), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def run_once(subscribers: int, *, per_parcel: int, rate: float, seconds: float, clients: int) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="ordertrail-bench-sse-"))
    port = free_port()
    env = {
        **os.environ,
        "ORDERTRAIL_DATA_DIR": str(data),
        "ORDERTRAIL_PORT": str(port),
        "ORDERTRAIL_PUBLIC_RATE_LIMIT": "0",
        "ORDERTRAIL_MAX_STREAMS_PER_ADDRESS": "0",
    }
    cli(env, "merchants", "create", "Bench")
    merchant = cli(env, "keys", "create", "--role", "merchant", "--name", "m", "--merchant", "Bench")
    scanner = cli(env, "keys", "create", "--role", "scanner", "--name", "s")
    server = subprocess.Popen(
        [str(BIN / "ordertrail"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        http = httpx.Client(base_url=base, timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        parcels_needed = max(1, subscribers // per_parcel)
        numbers: list[str] = []
        placed_at = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        while len(numbers) < parcels_needed:
            count = min(100, parcels_needed - len(numbers))
            body = {
                "order_number": f"B-{uuid.uuid4().hex[:12]}",
                "placed_at": placed_at,
                "customer": {"name": "Bench", "email": "bench@example.com"},
                "destination": {"line1": "1 Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"},
                "parcels": [{} for _ in range(count)],
            }
            answer = http.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {merchant}"})
            answer.raise_for_status()
            numbers += [p["tracking_number"] for p in answer.json()["parcels"]]
        rss_before = rss_kib(server.pid)
        # Subscriber i watches parcel i // per_parcel; split across client processes.
        assignments = [numbers[i // per_parcel] for i in range(subscribers)]
        context = multiprocessing.get_context("spawn")
        pipes, processes = [], []
        for c in range(clients):
            mine, theirs = context.Pipe()
            process = context.Process(target=client_main, args=(port, assignments[c::clients], theirs))
            process.start()
            pipes.append(mine)
            processes.append(process)
        connected = sum(pipe.recv()[1] for pipe in pipes)
        assert connected == subscribers, (connected, subscribers)
        rss_after = rss_kib(server.pid)

        # Post scans at a steady rate, round-robin over the parcels, and note when each 2xx arrived.
        acked: dict[tuple[str, int], float] = {}
        interval = 1 / rate
        total = int(rate * seconds)
        start = time.monotonic()
        occurred = datetime.now(UTC) - timedelta(hours=20)
        for k in range(total):
            target = start + k * interval
            pause = target - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            number = numbers[k % len(numbers)]
            scan = {
                "event_id": str(uuid.uuid4()),
                "tracking_number": number,
                "status": "in_transit",
                "occurred_at": (occurred + timedelta(seconds=k)).isoformat(),
                "location": {"city": "Leeds", "country": "GB"},
            }
            answer = http.post("/api/v1/scans", json=scan, headers={"Authorization": f"Bearer {scanner}"})
            acked[(number, answer.json()["sequence"])] = time.time()
            assert answer.status_code == 201
        time.sleep(1.0)  # let the last messages arrive before stopping the clients
        for pipe in pipes:
            pipe.send("stop")
        latencies: list[float] = []
        missing = 0
        for pipe in pipes:
            for number, received in pipe.recv()[1]:
                got = {sequence: at for sequence, at in received}
                for (scanned, sequence), acked_at in acked.items():
                    if scanned != number:
                        continue
                    if sequence in got:
                        latencies.append((got[sequence] - acked_at) * 1000)
                    else:
                        missing += 1
        for process in processes:
            process.join(30)
        latencies.sort()
        return {
            "subscribers": subscribers,
            "parcels": len(numbers),
            "scans": total,
            "deliveries": len(latencies),
            "missing": missing,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
            "max_ms": latencies[-1],
            "rss_delta_kib_per_subscriber": (rss_after - rss_before) / subscribers,
            "rss_before_mib": rss_before / 1024,
            "rss_after_mib": rss_after / 1024,
        }
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--per-parcel", type=int, default=10, help="Subscribers watching each parcel.")
    parser.add_argument("--rate", type=float, default=50, help="Scans posted per second.")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=2, help="Subscriber processes.")
    args = parser.parse_args()
    raise_fd_limit()
    columns = ("N", "parcels", "scans", "deliveries", "missing", "p50 ms", "p99 ms", "max ms", "KiB/sub")
    widths = (7, 7, 6, 10, 7, 8, 8, 8, 8)
    print(" ".join(f"{name:>{width}}" for name, width in zip(columns, widths, strict=True)))
    for n in args.subscribers:
        r = run_once(n, per_parcel=args.per_parcel, rate=args.rate, seconds=args.seconds, clients=args.clients)
        print(
            f"{r['subscribers']:>7} {r['parcels']:>7} {r['scans']:>6} {r['deliveries']:>10} {r['missing']:>7} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['rss_delta_kib_per_subscriber']:>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
