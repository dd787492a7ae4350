"""Live updates by Server-Sent Events: one parcel (public) or every parcel of a verified order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from ordertrail.api.responses import PUBLIC, errors
from ordertrail.http.client import client_address
from ordertrail.http.deps import ServicesDep, get_public
from ordertrail.http.sse import EventStreamResponse
from ordertrail.realtime.stream import LiveStream
from ordertrail.services.orders.access import open_order_link
from ordertrail.services.tracking import live
from ordertrail.services.tracking.public_context import PublicContext

router = APIRouter(prefix="/api/v1", tags=["tracking"])

LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", max_length=400, description="The id of the last message received: resume after it"),
]
# EventSource cannot set Last-Event-ID on its first connection: pages pass ?after=<id> instead.
After = Annotated[str | None, Query(max_length=400, description="Like Last-Event-ID, for a first connection")]
STREAM_DOC = {
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "string",
                "description": "Messages of `id:` (the sequence; composite on order streams) and `data:` (one JSON "
                "document: the new public event, or null for a correction, and the parcel's status, estimate and "
                "delay after it); a `retry:` hint first, and keep-alive comments between messages.",
            }
        }
    },
    "description": "A Server-Sent Events stream, replaying what came after Last-Event-ID (or ?after=) first",
}


LIMITED = "Too many requests, or too many open streams, from this address"


def _public(request: Request) -> PublicContext:
    return get_public(request)


async def _respond(request: Request, open_stream: Callable[[], Awaitable[LiveStream]]) -> Response:
    """Admit the client (rate limit, stream cap), open the stream, and release the slot when it ends."""
    context = _public(request)
    address = client_address(request)
    await context.throttle.check(address)
    await context.streams.acquire(address)

    async def release() -> None:
        await context.streams.release(address)

    try:
        stream = await open_stream()
    except BaseException:
        await release()
        raise
    return EventStreamResponse(stream, on_close=release)


@router.get(
    "/tracking/{tracking_number}/events",
    summary="Live updates of one parcel (Server-Sent Events)",
    description=(
        "Needs no key; counts against the public rate limit and at most 20 open streams per client address "
        "(`ORDERTRAIL_MAX_STREAMS_PER_ADDRESS`), else 429. Reconnect with the last `id:` as `Last-Event-ID` (or "
        "`?after=`) and the missed messages come first."
    ),
    response_class=EventStreamResponse,
    status_code=200,  # EventStreamResponse takes no status: FastAPI needs it said here
    responses={200: STREAM_DOC, **errors(404, 422, 429, notes={404: "Unknown or malformed number", 429: LIMITED})},
    openapi_extra=PUBLIC,
)
async def stream_parcel_events(
    tracking_number: str,
    request: Request,
    services: ServicesDep,
    last_event_id: LastEventId = None,
    after: After = None,
) -> Response:
    context = _public(request)
    resume = last_event_id or after

    async def open_stream() -> LiveStream:
        return await live.parcel_stream(
            services, context.bus, tracking_number=tracking_number, last_event_id=resume, retry_ms=context.retry_ms
        )

    return await _respond(request, open_stream)


@router.get(
    "/order-views/{token}/events",
    summary="Live updates of every parcel of a verified order (Server-Sent Events; composite ids)",
    description=(
        "Needs no key: the token is the signed, expiring one the order page puts in its stream URL once a customer "
        "has verified the order (order number plus email or postal code); an invalid or expired token answers 404. "
        "Ids join each parcel's sequence with `-` (`3-5`): send the last one back as `Last-Event-ID` or `?after=` "
        "to resume; the public rate and stream limits apply."
    ),
    response_class=EventStreamResponse,
    status_code=200,  # EventStreamResponse takes no status: FastAPI needs it said here
    responses={200: STREAM_DOC, **errors(404, 422, 429, notes={404: "Invalid or expired link", 429: LIMITED})},
    openapi_extra=PUBLIC,
)
async def stream_order_events(
    token: str, request: Request, services: ServicesDep, last_event_id: LastEventId = None, after: After = None
) -> Response:
    context = _public(request)
    order_id = open_order_link(context.secret_key, token, now=services.clock())
    resume = last_event_id or after

    async def open_stream() -> LiveStream:
        return await live.order_stream(
            services, context.bus, order_id=order_id, last_event_id=resume, retry_ms=context.retry_ms
        )

    return await _respond(request, open_stream)
