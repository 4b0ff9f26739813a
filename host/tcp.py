"""The TCP byte stream behind `socket://HOST:PORT` URLs, without pyserial in the way.

pyserial's socket handler selects before every read and after every partial write; on a
loopback link those calls cost more than the round trip itself. Here a read is one `recv`
with the socket's own timeout, a write one `sendall`, and Nagle's algorithm is off
(TCP_NODELAY), so a short program leaves at once.
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

#: most bytes taken from the socket in one read
READ_BYTES = 1 << 20


def tcp_address(url: str) -> tuple[str, int] | None:
    """(host, port) of a plain `socket://HOST:PORT` URL, or None for any other URL (also one
    with pyserial options such as `?logging=debug`: those stay with pyserial)."""
    if not url.startswith("socket://"):
        return None
    parts = urlsplit(url)
    if parts.query or parts.path or parts.hostname is None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return None if port is None else (parts.hostname, port)


class TcpPort:
    """One TCP connection with a write timeout; reads take their own timeout."""

    def __init__(self, address: tuple[str, int], timeout: float) -> None:
        self.write_timeout = timeout
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes | memoryview) -> None:
        """Send everything (OSError, incl. TimeoutError, if it cannot within the timeout)."""
        self.sock.settimeout(self.write_timeout)
        self.sock.sendall(data)

    def read(self, timeout: float) -> bytes:
        """The bytes that arrive within `timeout` (b"" if none); ConnectionError when the peer
        has closed the connection."""
        self.sock.settimeout(max(timeout, 0.0))
        try:
            data = self.sock.recv(READ_BYTES)
        except (TimeoutError, BlockingIOError, InterruptedError):
            return b""
        if not data:
            raise ConnectionError("the connection was closed by the peer")
        return data

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.sock.close()
