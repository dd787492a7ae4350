"""``/console/live``: the stream a console page listens to, so its counts and lists follow scans without polling
(``static/js/console-live.js`` re-reads the page's live regions on each event)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ordertrail.http.deps import get_public
from ordertrail.http.sse import EventStreamResponse
from ordertrail.services.console.live import change_stream
from ordertrail.services.limits.streams import staff_holder
from ordertrail.web.console.common import PREFIX, staff_reader

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/live")
async def live_changes(request: Request) -> Response:
    signed = await staff_reader(request)
    if isinstance(signed, Response):
        return signed
    session, reader = signed
    public = get_public(request)
    # The same cap as the public streams, counted per person: each console tab holds a slot of its own, and
    # colleagues behind one office address neither share slots nor take the customers' there.
    holder = staff_holder(session.user.id)
    await public.streams.acquire(holder)

    async def release() -> None:
        await public.streams.release(holder)

    try:
        stream = change_stream(public.bus, reader, retry_ms=public.retry_ms)
    except BaseException:
        await release()
        raise
    return EventStreamResponse(stream, on_close=release)
