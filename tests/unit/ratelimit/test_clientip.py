"""The client's address for per-IP limits: trusted hops only, IPv6 per /64."""

from __future__ import annotations

import pytest

from regflow.api.clientip import client_address, client_key, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # left part is forgeable
        ("10.0.0.2", ["198.51.100.1, 10.0.0.7"], "198.51.100.1"),  # two trusted hops
        ("10.0.0.2", ["garbage"], "10.0.0.2"),
        ("10.0.0.2", [], "10.0.0.2"),
        ("::1", ["2001:db8:1:2::99"], "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", [], "203.0.113.9"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::/64"),
        (None, [], "unknown"),
    ],
)
def test_client_key(peer: str | None, forwarded: list[str], expected: str) -> None:
    assert client_key(client_address(peer, forwarded, PROXIES)) == expected


def test_bad_proxy_setting_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_networks(["not-an-address"])
