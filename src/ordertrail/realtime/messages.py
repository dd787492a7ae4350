"""What the bus carries: one public, already-serialised message per new event of a parcel."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """A new event of a parcel as customers may see it.

    ``data`` is the public JSON document, rendered once at publish time and shared by every subscriber (and
    the bytes a Redis adapter sends as they are). ``frame`` is the ready SSE frame for per-parcel streams.
    """

    parcel_id: int
    order_id: int
    sequence: int
    data: bytes
    merchant_id: int = 0  # for the console's merchant streams (0: unknown, e.g. read back from the store)
    frame: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame", sse_frame(str(self.sequence), self.data))


def sse_frame(event_id: str, data: bytes) -> bytes:
    """One SSE message. ``data`` is single-line JSON, so one ``data:`` line suffices."""
    return b"id: " + event_id.encode() + b"\ndata: " + data + b"\n\n"


KEEPALIVE_FRAME = b": keep-alive\n\n"


def retry_frame(retry_ms: int) -> bytes:
    return b"retry: " + str(retry_ms).encode() + b"\n\n"
