"""The TCP byte stream behind `socket://HOST:PORT` URLs, without pyserial in the way.

pyserial's socket handler selects before every read and after every partial write; on a
loopback link those calls cost more than the round trip itself. Here a write is one `send`
(or one `sendmsg` of a long program's frame pieces) with Nagle's algorithm off (TCP_NODELAY),
so a short program leaves at once, and a read first polls the socket without sleeping for up
to `spin_s` (default `SPIN_S`; yielding the core on every turn, so a process that needs it,
such as the device, runs), then waits in one `recv` with the socket's own timeout. The short
busy wait matters on virtual machines, where waking a sleeping process costs tens of
microseconds and leaves its caches cold: a device that answers within the window is heard
several times faster. It costs at most `spin_s` of CPU per read; a host sharing its
interpreter with a device server thread (`chipsim.server.EmbeddedServer`, used by tests) must
not spin (`spin_s=0`), or it would hold the GIL the server needs.
"""
from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlsplit

#: most bytes taken from the socket in one read
READ_BYTES = 1 << 20
#: kernel send buffer: a bulk program (1 MiB of frames for both synapse arrays) is handed to
#: the kernel at once while the device works through the first frames
SEND_BUFFER_BYTES = 4 << 20
#: how long a read polls without sleeping before it blocks (seconds)
SPIN_S = 0.001


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
    """One TCP connection with a write timeout; reads take their own timeout. The socket stays
    non-blocking between calls, so the common case (a write that fits the send buffer, a read
    that finds its bytes while polling) costs no switch of its mode."""

    def __init__(self, address: tuple[str, int], timeout: float, spin_s: float = SPIN_S) -> None:
        self.write_timeout = timeout
        self.spin_s = spin_s
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        self.sock.setblocking(False)
        #: receives land here (a `recv` of READ_BYTES would allocate that much every time)
        self._received = memoryview(bytearray(READ_BYTES))

    def write(self, data: bytes | memoryview) -> None:
        """Send everything (OSError, incl. TimeoutError, if it cannot within the timeout)."""
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            self._send_rest(memoryview(data)[sent:])

    def write_parts(self, parts: list[bytes | memoryview]) -> None:
        """Send the concatenation of `parts` without joining them first (scatter-gather)."""
        try:
            sent = self.sock.sendmsg(parts)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < sum(len(p) for p in parts):  # the send buffer is full: wait for the rest
            self._send_rest(memoryview(b"".join(parts))[sent:])

    def _send_rest(self, rest: memoryview) -> None:
        """Send what did not fit the send buffer, waiting up to the write timeout."""
        self.sock.settimeout(self.write_timeout)
        try:
            self.sock.sendall(rest)
        finally:
            self.sock.setblocking(False)

    def read(self, timeout: float) -> bytes:
        """The bytes that arrive within `timeout` (b"" if none); ConnectionError when the peer
        has closed the connection."""
        window = min(self.spin_s, timeout)
        count = self._spin(window)
        if count is None:
            self.sock.settimeout(max(timeout - window, 0.0))
            try:
                count = self.sock.recv_into(self._received)
            except (TimeoutError, BlockingIOError, InterruptedError):
                return b""
            finally:
                self.sock.setblocking(False)
        if not count:
            raise ConnectionError("the connection was closed by the peer")
        return self._received[:count].tobytes()

    def _spin(self, window: float) -> int | None:
        """Poll without sleeping for up to `window` seconds: how many bytes were received, or
        None if none came."""
        if window <= 0:
            return None
        deadline = time.perf_counter() + window
        while True:
            try:
                return self.sock.recv_into(self._received)
            except (BlockingIOError, InterruptedError):
                if time.perf_counter() >= deadline:
                    return None
                os.sched_yield()  # a process that needs this core (the device) gets it

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.sock.close()
