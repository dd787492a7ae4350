"""Where a webhook may go: URL checks and name resolution against the SSRF rules of domain/notifying/addresses.py.

Checked when an endpoint is registered and again before every send (a name may resolve elsewhere by then).
The sender then connects to the address checked here, never to a second lookup of the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ordertrail.domain.errors import UnsafeWebhookUrl
from ordertrail.domain.notifying.addresses import WEB_PORTS, IPAddress, port_refusal, refusal

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

# Appended to a refusal that a setting would lift, so a developer pointing webhooks at a local receiver learns
# the switch from the error itself (the settings are named as deploy.md documents them).
PRIVATE_HINT = (
    " For a receiver on your own machine or network (development), set ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE=true."
)
PORTS_HINT = " Other ports can be allowed with ORDERTRAIL_WEBHOOK_PORTS (e.g. 443,8443)."


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked webhook target: connect to ``address``, but speak to ``host`` (Host header, TLS name)."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def parse_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a webhook URL; raises UnsafeWebhookUrl when it is not a plain http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookUrl(f"That is not a valid URL: {error}.", field="url") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhookUrl("Webhook URLs must start with https:// (or http://).", field="url")
    if not parts.hostname:
        raise UnsafeWebhookUrl("The URL has no host.", field="url")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("Webhook URLs may not carry credentials.", field="url")
    if port == 0:
        return parts.scheme, parts.hostname, 0  # refused by the port rule, not silently the default
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_destination(
    url: str,
    *,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    ports: frozenset[int] | None = WEB_PORTS,
) -> Destination:
    """Resolve ``url``'s host and check its port and every address it has; raises UnsafeWebhookUrl.

    ``ports``: the ports webhooks may go to (None: any but 0).
    """
    scheme, host, port = parse_url(url)
    why_port = port_refusal(port, allowed=ports)
    if why_port is not None:
        hint = PORTS_HINT if port_refusal(port, allowed=None) is None else ""
        raise UnsafeWebhookUrl(f"Webhooks may not be sent to {host}: {why_port}.{hint}", field="url")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = await resolver(host, port)
        except OSError as error:
            raise UnsafeWebhookUrl(f"The host {host!r} does not resolve.", field="url") from error
    if not addresses:
        raise UnsafeWebhookUrl(f"The host {host!r} does not resolve.", field="url")
    for address in addresses:
        why = refusal(address, allow_private=allow_private)
        if why is not None:
            shown = host if str(address) == host else f"{host} ({address})"
            lifted = not allow_private and refusal(address, allow_private=True) is None
            hint = PRIVATE_HINT if lifted else ""
            raise UnsafeWebhookUrl(f"Webhooks may not be sent to {shown}: it is {why}.{hint}", field="url")
    return Destination(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def connected_refusal(peer: object, *, allow_private: bool) -> str | None:
    """Why the address a connection actually reached (a socket's peer name) may not receive webhooks."""
    if not isinstance(peer, tuple) or not peer:
        return "an address that could not be checked"
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    except ValueError:
        return "an address that could not be checked"
    return refusal(address, allow_private=allow_private)
