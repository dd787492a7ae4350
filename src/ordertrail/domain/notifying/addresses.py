"""Which network addresses and ports a webhook may be sent to (SSRF protection). Pure: addresses in, verdict out.

An IPv6 address can carry an IPv4 address inside it (IPv4-mapped and -compatible, 6to4, NAT64, Teredo), and a
network with the matching gateway delivers to that IPv4 address: each such form is judged by what it embeds.
"""

from __future__ import annotations

import ipaddress
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata services: never reachable, whatever the settings say.
METADATA: Final = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


# The ports webhooks go to unless ORDERTRAIL_WEBHOOK_PORTS says otherwise.
WEB_PORTS: Final = frozenset({80, 443})

_SIXTOFOUR: Final = ipaddress.ip_network("2002::/16")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits
_NAT64_LOCAL: Final = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use: the operator's own layout
_TEREDO: Final = ipaddress.ip_network("2001::/32")
_COMPATIBLE: Final = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible (::a.b.c.d)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 transition form delivers to (none for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _SIXTOFOUR:
        return [ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address in _TEREDO:
        # The server, and the client: the last 32 bits inverted (RFC 4380).
        return [
            ipaddress.IPv4Address((int(address) >> 64) & 0xFFFFFFFF),
            ipaddress.IPv4Address(~int(address) & 0xFFFFFFFF),
        ]
    if address in _COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves, not IPv4
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def port_refusal(port: int, *, allowed: frozenset[int] | None) -> str | None:
    """Why webhooks may not go to ``port`` (``allowed`` None: any port but 0), or None when they may."""
    if port <= 0 or port > 65535:
        return f"port {port} is not a port"
    if allowed is not None and port not in allowed:
        shown = ", ".join(str(p) for p in sorted(allowed))
        return f"port {port} is not allowed (webhooks go to port {shown})"
    return None


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it may (judging an IPv6 form by what it embeds)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address itself
            return _plain_refusal(address.ipv4_mapped, allow_private=allow_private)
        if address in _NAT64_LOCAL:
            return None if allow_private else "a local-use NAT64 address (it leads into the network)"
        for inner in embedded_ipv4(address):
            why = _plain_refusal(inner, allow_private=allow_private)
            if why is not None:
                return f"{why} inside an IPv6 address ({inner})"
        if address in _COMPATIBLE and int(address) > 1:
            return None  # judged entirely by the IPv4 address it is
        if embedded_ipv4(address):
            return None  # a transition form around a public IPv4 address
    return _plain_refusal(address, allow_private=allow_private)


def _plain_refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it may.

    ``allow_private`` admits loopback and private ranges (development, tests); metadata, link-local,
    multicast, unspecified and reserved addresses stay refused.
    """
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_loopback:  # before "reserved": ::1 lies in a reserved IPv6 block
        return None if allow_private else "a loopback address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast internet address"
    if address.is_private:
        return None if allow_private else "a private address"
    if address.is_reserved:
        return "not a unicast internet address"
    if not address.is_global:  # shared (carrier-grade NAT) and other special-purpose ranges
        return None if allow_private else "a private address"
    return None
