"""Noticing that the server has been asked to stop, before it waits for open connections to finish.

uvicorn's graceful shutdown waits for every open response to complete (up to its grace period) and only then
runs the lifespan shutdown. A live stream never completes by itself, so without this the server waited out
the whole grace period and then cancelled the streams mid-body (tracebacks in the log, a protocol error in
every client). Chaining onto the server's SIGTERM/SIGINT handlers lets the app end its streams at once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], object]


@contextmanager
def on_stop_signal(callback: Callable[[], None]) -> Iterator[None]:
    """Run ``callback`` on the running loop when SIGTERM or SIGINT arrives, then the server's own handler.

    Only in the main thread, where signal handlers live (an app run by a test client in a thread has none to
    chain); a signal the server does not handle in Python is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    installed: dict[signal.Signals, tuple[Handler, Handler]] = {}  # signal -> (ours, the one it chains to)

    def chain(previous: Handler) -> Handler:
        def handler(signum: int, frame: FrameType | None) -> None:
            # A signal handler may run in the middle of any callback: hand over to the loop, never act here.
            loop.call_soon_threadsafe(callback)
            previous(signum, frame)

        return handler

    for signum in STOP_SIGNALS:
        previous = signal.getsignal(signum)
        if callable(previous):
            installed[signum] = (chain(previous), previous)
            signal.signal(signum, installed[signum][0])
    try:
        yield
    finally:
        for stopping, (ours, chained) in installed.items():
            # Put the server's handler back, unless someone replaced ours meanwhile.
            if signal.getsignal(stopping) is ours:
                signal.signal(stopping, chained)
