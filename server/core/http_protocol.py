"""The HTTP protocol `spotcheck serve` runs: uvicorn's, with Nagle's algorithm off on every
connection.

With ``--workers`` above 1, uvicorn binds the listening socket itself, with protocol number 0, and
asyncio sets TCP_NODELAY only on accepted sockets that say IPPROTO_TCP, so those connections kept
Nagle's algorithm on. A response goes out in two writes (its head, then its body); with Nagle on,
the body waited for the client's delayed acknowledgement of the head, 40 ms on every request
(measured here: `GET /health` 1.1 ms with one worker, 44 ms with two).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_no_delay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once on a TCP connection (a Unix socket has nothing to set)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_no_delay(transport)
        super().connection_made(transport)
