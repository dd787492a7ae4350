"""What the operations metrics add to one request and to one group commit, in-process, against bare baselines.

``.venv/bin/python -m bench.metrics_cost [--requests 100000]``

Times the request observer (http/observing.py) around a bare ASGI endpoint with metrics on and off, the bare
endpoint alone, and ``Metrics.group_committed`` for a group of 1 and of 30 single scans, plus the flush that
hands a second's tallies to prometheus-client (done once a second, off the request path). The figures of the
A/B (bench/metrics_ab.py) are whole servers; these say where the difference comes from, and repeat in
seconds on a machine too busy for the A/B to be steady.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from ordertrail.adapters.metrics import NO_METRICS, recording
from ordertrail.http.observing import ROUTE_KEY, RequestObserver

HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"10")]


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b"0123456789"})


async def sink(_: Message) -> None:
    pass


async def nothing() -> Message:
    return {"type": "http.request"}


async def per_call(app: Callable[[Scope, Receive, Send], Awaitable[None]], n: int) -> float:
    scope = {"type": "http", "method": "POST", "path": "/api/v1/scans", "headers": [], ROUTE_KEY: "/api/v1/scans"}
    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), nothing, sink)
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.requests

    async def requests() -> dict[str, list[float]]:
        found: dict[str, list[float]] = {"bare endpoint": [], "observer, metrics off": [], "observer, metrics on": []}
        on = recording()
        for _ in range(args.rounds):  # in turns: the machine's speed drifts
            found["bare endpoint"].append(await per_call(bare, n))
            found["observer, metrics off"].append(await per_call(RequestObserver(bare, metrics=NO_METRICS), n))
            found["observer, metrics on"].append(await per_call(RequestObserver(bare, metrics=on), n))
            on.flush()
        return found

    figures = {name: statistics.median(values) for name, values in asyncio.run(requests()).items()}
    groups: dict[str, float] = {}
    for size in (1, 30):
        metrics = recording()
        outcomes = Counter({"created": size})
        started = time.perf_counter()
        for _ in range(n // 10):
            metrics.group_committed(submissions=[1] * size, outcomes=outcomes, estimates=size, seconds=0.003)
        groups[f"group commit of {size} single scans"] = (time.perf_counter() - started) / (n // 10)
        started = time.perf_counter()
        metrics.flush()
        groups[f"flush after {n // 10:,} such groups"] = time.perf_counter() - started

    print("| what | per call |")
    print("|---|---:|")
    for name, seconds in {**figures, **groups}.items():
        print(f"| {name} | {seconds * 1e6:.2f} µs |")
    added = figures["observer, metrics on"] - figures["observer, metrics off"]
    print(f"\nmetrics on, per request: +{added * 1e6:.2f} µs over the observer with metrics off")


if __name__ == "__main__":
    main()
