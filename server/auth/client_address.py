"""The client address that login throttling counts by. Pure: no I/O, tested without a server.

The peer address is the client, unless the peer is a reverse proxy listed in
``SPOTCHECK_TRUSTED_PROXIES``; then the client is the right-most X-Forwarded-For entry that is not
itself a trusted proxy (each trusted proxy appends the address it saw, so that entry was written by
a proxy we trust; everything left of it is whatever the client claimed). X-Forwarded-For from an
untrusted peer is never read: anyone can send the header.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

from server.core.settings import SettingsError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# An IPv6 subscriber usually holds a whole /64; counting single addresses would give an attacker
# 2**64 fresh budgets.
IPV6_THROTTLE_PREFIX = 64
MAX_ADDRESS_LENGTH = 64  # LoginFailure.remote_address


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise SettingsError(
                f"SPOTCHECK_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network "
                "(e.g. 10.0.0.2 or 10.0.1.0/24)."
            ) from error
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted_proxies: Sequence[str]
) -> str:
    """The address to throttle by, normalised (see :func:`throttle_key`).

    ``forwarded_for`` is every X-Forwarded-For header of the request, in order."""
    networks = trusted_networks(tuple(trusted_proxies))
    peer_ip = _parse(peer)
    if peer_ip is None or not _is_trusted(peer_ip, networks):
        return throttle_key(peer_ip) if peer_ip else _bounded(peer or "unknown")
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    nearest_trusted = peer_ip
    for hop in reversed(hops):
        hop_ip = _parse(hop)
        if hop_ip is None:
            # A trusted proxy wrote something that is not an address (e.g. "unknown"): fall back
            # to the proxy itself, so nobody can pick a fresh key by writing junk.
            return throttle_key(nearest_trusted)
        if not _is_trusted(hop_ip, networks):
            return throttle_key(hop_ip)
        nearest_trusted = hop_ip
    # No header, or every hop is one of our proxies: the farthest proxy is the best we know.
    return throttle_key(nearest_trusted)


def throttle_key(address: IPAddress) -> str:
    """IPv4 (and IPv4-mapped IPv6) as the address; other IPv6 as its /64 network."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_THROTTLE_PREFIX), strict=False)
        return str(network)
    return str(address)


def _parse(value: str | None) -> IPAddress | None:
    if not value:
        return None
    text = value.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.9:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(text.split("%", 1)[0])
    return address


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


def _bounded(text: str) -> str:
    return text[:MAX_ADDRESS_LENGTH]
