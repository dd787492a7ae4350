"""Sending one webhook: Standard Webhooks signatures, SSRF checks at send time, bounded timeouts, no redirects.

A response is read only as far as its first ``MAX_READ_BYTES`` and the connection is then closed: a receiver
answering with gigabytes costs the worker 64 KiB, not the whole body (and 32 concurrent deliveries cannot
exhaust its memory).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks import Webhook

from ordertrail.adapters.destinations import (
    Destination,
    Resolver,
    check_destination,
    connected_refusal,
    system_resolver,
)
from ordertrail.domain.errors import UnsafeWebhookUrl
from ordertrail.domain.notifying.addresses import WEB_PORTS
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import Message
from ordertrail.domain.notifying.retries import parse_retry_after

USER_AGENT = "ordertrail-webhooks/1"
MAX_LOGGED_BODY = 1000
MAX_READ_BYTES = 64 * 1024


class _RefusedPeer(Exception):
    """The connection reached an address the rules refuse (raised from the connect trace, before sending)."""


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What one attempt got back."""

    status_code: int | None
    duration_ms: int
    body: str | None
    error: str | None
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def signature_header(secrets: tuple[str, ...], message_id: str, at: datetime, body: str) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per secret, space-separated (several during a rotation)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def signed_headers(endpoint: Endpoint, message: Message, *, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        # Raw bytes only: a compressed answer could expand without bound before the read limit applies.
        "accept-encoding": "identity",
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(endpoint.secrets(at), message.message_id, at, message.payload),
    }


def _pinned(destination: Destination) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with the checked address in place of the name, the Host header, and the TLS server name.

    Connecting to the address that was checked (rather than letting the client look the name up again)
    closes the DNS-rebinding gap between the check and the connection.
    """
    url = httpx.URL(destination.url)
    host = f"[{destination.address}]" if destination.address.version == 6 else str(destination.address)
    default_port = 443 if destination.scheme == "https" else 80
    host_header = destination.host if destination.port == default_port else f"{destination.host}:{destination.port}"
    pinned = url.copy_with(host=host.strip("[]"), port=destination.port)
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    return str(pinned), {"host": host_header}, extensions


class WebhookSender:
    """Sends signed webhooks over one shared HTTP client."""

    def __init__(
        self,
        *,
        timeout_s: float = 15.0,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        ports: frozenset[int] | None = WEB_PORTS,
    ) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.resolver = resolver
        self.ports = ports
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            follow_redirects=False,  # a redirect could lead anywhere, including inside the network
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            trust_env=False,  # never through a proxy from the environment
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, endpoint: Endpoint, message: Message) -> WebhookResult:
        """One attempt; never raises for network trouble (it is a result like any other)."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            destination = await check_destination(
                endpoint.url, allow_private=self.allow_private, resolver=self.resolver, ports=self.ports
            )
        except UnsafeWebhookUrl as error:
            return WebhookResult(None, took(), None, f"refused: {error.detail}")
        now = datetime.now(UTC)
        url, host_header, extensions = _pinned(destination)
        headers = {**signed_headers(endpoint, message, at=now), **host_header}
        traced: dict[str, object] = {**extensions, "trace": self._check_peer}
        request = self.client.build_request(
            "POST", url, content=message.payload.encode(), headers=headers, extensions=traced
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                try:
                    response, prefix = await self._exchange(request)
                except httpx.RemoteProtocolError:
                    # No answer at all: most often a kept-alive connection the receiver closed as it sat idle
                    # (uvicorn after 5 s, nginx after 75 s), just as this request was written on it. The receiver's
                    # handler never saw it: once more, on a new connection (receivers dedupe by webhook-id anyway).
                    response, prefix = await self._exchange(request)
        except TimeoutError:
            return WebhookResult(None, took(), None, f"timed out after {self.timeout_s:g}s")
        except _RefusedPeer as error:
            return WebhookResult(None, took(), None, f"refused: {error}")
        except httpx.HTTPError as error:
            return WebhookResult(None, took(), None, f"{type(error).__name__}: {error}"[:500])
        body = prefix.decode(response.encoding or "utf-8", errors="replace")[:MAX_LOGGED_BODY]
        retry_after = None
        if response.status_code in (429, 503):
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=datetime.now(UTC))
        error_text = None
        if response.is_redirect:
            error_text = f"redirect to {response.headers.get('location', '?')} not followed"
        elif not response.is_success:
            error_text = f"HTTP {response.status_code}"
        return WebhookResult(response.status_code, took(), body, error_text, retry_after)

    async def _exchange(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        """Send ``request``; the answer and the first MAX_READ_BYTES of its body."""
        response = await self.client.send(request, stream=True)
        try:
            return response, await _read_prefix(response, MAX_READ_BYTES)
        finally:
            await response.aclose()  # closes the connection when the body was not read to its end

    async def _check_peer(self, event: str, info: dict[str, object]) -> None:
        """On every new connection, check the address it actually reached (not only the one resolved)."""
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        get_extra_info = getattr(stream, "get_extra_info", None)
        peer = get_extra_info("server_addr") if get_extra_info is not None else None
        why = connected_refusal(peer, allow_private=self.allow_private)
        if why is not None:
            raise _RefusedPeer(f"the connection reached {peer[0] if isinstance(peer, tuple) else peer}: it is {why}")


async def _read_prefix(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the body, as sent (the rest is never read)."""
    data = bytearray()
    async for chunk in response.aiter_raw():
        data += chunk[: limit - len(data)]
        if len(data) >= limit:
            break
    return bytes(data)
