"""Sending one webhook: Standard Webhooks signatures, SSRF checks at send time, bounded timeouts, no redirects."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks import Webhook

from ordertrail.adapters.destinations import Destination, Resolver, check_destination, system_resolver
from ordertrail.domain.errors import UnsafeWebhookUrl
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import Message
from ordertrail.domain.notifying.retries import parse_retry_after

USER_AGENT = "ordertrail-webhooks/1"
MAX_LOGGED_BODY = 1000


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
    ) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.resolver = resolver
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
                endpoint.url, allow_private=self.allow_private, resolver=self.resolver
            )
        except UnsafeWebhookUrl as error:
            return WebhookResult(None, took(), None, f"refused: {error.detail}")
        now = datetime.now(UTC)
        url, host_header, extensions = _pinned(destination)
        headers = {**signed_headers(endpoint, message, at=now), **host_header}
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.post(
                    url, content=message.payload.encode(), headers=headers, extensions=extensions
                )
        except TimeoutError:
            return WebhookResult(None, took(), None, f"timed out after {self.timeout_s:g}s")
        except httpx.HTTPError as error:
            return WebhookResult(None, took(), None, f"{type(error).__name__}: {error}"[:500])
        body = response.text[:MAX_LOGGED_BODY]
        retry_after = None
        if response.status_code in (429, 503):
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=datetime.now(UTC))
        error_text = None
        if response.is_redirect:
            error_text = f"redirect to {response.headers.get('location', '?')} not followed"
        elif not response.is_success:
            error_text = f"HTTP {response.status_code}"
        return WebhookResult(response.status_code, took(), body, error_text, retry_after)
