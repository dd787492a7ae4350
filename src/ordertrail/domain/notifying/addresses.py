"""Which network addresses a webhook may be sent to (SSRF protection). Pure: addresses in, verdict out."""

from __future__ import annotations

import ipaddress
from typing import Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata services: never reachable, whatever the settings say.
METADATA: Final = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it may.

    ``allow_private`` admits loopback and private ranges (development, tests); metadata, link-local,
    multicast, unspecified and reserved addresses stay refused.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
