"""The byte stream to a device that runs in this interpreter (`chipsim.embedded`): a write
hands the bytes to the device, which answers before the write returns; a read takes the
answer. The port knows the device only as a function from bytes to bytes, so the host still
speaks nothing but link frames."""
from __future__ import annotations

import time
from collections.abc import Callable


class InProcessPort:
    """Port with the interface of `host.tcp.TcpPort` over a `feed(bytes) -> bytes` device."""

    def __init__(self, feed: Callable[[bytes], bytes]) -> None:
        self._feed: Callable[[bytes], bytes] | None = feed
        self._answer: list[bytes] = []

    def write(self, data: bytes | memoryview) -> None:
        """Hand bytes to the device; ConnectionError once the port is closed."""
        self.write_parts([data])

    def write_parts(self, parts: list[bytes | memoryview]) -> None:
        """Hand the concatenation of `parts` to the device and keep its answer."""
        if self._feed is None:
            raise ConnectionError("the in-process device port is closed")
        answer = self._feed(b"".join(parts))
        if answer:
            self._answer.append(answer)

    def read(self, timeout: float) -> bytes:
        """The device's answers so far. With none, nothing can arrive later (the device only
        answers writes): the read waits out its timeout, as a silent device would make it."""
        if self._feed is None:
            raise ConnectionError("the in-process device port is closed")
        if not self._answer:
            time.sleep(max(timeout, 0.0))
            return b""
        data = b"".join(self._answer)
        self._answer.clear()
        return data

    def close(self) -> None:
        """Close the port (idempotent); the device itself is closed by its owner."""
        self._feed = None
        self._answer.clear()
