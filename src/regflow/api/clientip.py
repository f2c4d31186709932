"""Who the client is, for per-IP limits: the peer, or what trusted proxies say it is.

``X-Forwarded-For`` is believed only when the connection comes from a hop
listed in ``REGFLOW_TRUSTED_PROXIES`` (addresses or networks). The header is
then read from the right, skipping trusted hops: the first address that is not
a trusted proxy is the client (anything left of it was written by the client
and proves nothing). IPv6 clients count per /64, the block one subscriber
usually holds; IPv4-mapped IPv6 addresses count as their IPv4 address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16", "::1"]`` -> networks; a bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _address(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5123"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> Address | None:
    """The client's address from the peer and the ``X-Forwarded-For`` values, or None."""
    address = _address(peer) if peer else None
    if address is None or not _trusted(address, proxies):
        return address
    hops = [part for value in forwarded_for for part in value.split(",")]
    for raw in reversed(hops):
        hop = _address(raw)
        if hop is None:
            return address  # a garbled entry: trust nothing further left
        address = hop
        if not _trusted(hop, proxies):
            return hop
    return address


def client_key(address: Address | None) -> str:
    """The rate-limit key of a client: its IPv4 address or its IPv6 /64."""
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
