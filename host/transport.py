"""Framed 64-bit word transport over any pyserial URL (socket://host:port, a pty or serial path,
loop://). Plain socket://HOST:PORT URLs use a direct TCP connection (`host.tcp`); the rest
go through pyserial; an embedded emulator is reached through `host.inprocess`.

Sends words in link frames (`protocol.link`) and receives frames with a deadline: nothing
blocks longer than the timeout, link damage is counted by the frame reader and never raised,
and a lost or closed connection raises `TransportError`.
"""
from __future__ import annotations

import os
import select
import time
from collections import deque
from itertools import pairwise

import numpy as np
import serial
from bss2emu.protocol.link import MAX_PAYLOAD_WORDS, Frame, FrameReader, FrameWriter, PacketType

from .inprocess import InProcessPort
from .tcp import READ_BYTES, SPIN_S, TcpPort, tcp_address

#: ports written as frame pieces and read with a timeout of their own (no pyserial)
_DIRECT_PORTS = (TcpPort, InProcessPort)

#: frames written per write call when sending long programs: the first frame alone (the
#: device starts on it at once), then groups of this many
SEND_FRAMES = 4


class TransportError(ConnectionError):
    """The connection failed or was closed."""


class TransportTimeout(TransportError, TimeoutError):
    """No complete frame arrived before the deadline."""


class Transport:
    """One framed connection. Use `Transport.open(url)`; close it (or use `with`)."""

    def __init__(self, port: serial.SerialBase | TcpPort | InProcessPort, timeout: float = 5.0,
                 max_words: int = MAX_PAYLOAD_WORDS) -> None:
        self.port = port
        #: whether the port takes frame pieces and reads with its own timeout (no pyserial)
        self._direct = isinstance(port, _DIRECT_PORTS)
        self.timeout = timeout
        self.reader = FrameReader(max_words)
        self.writer = FrameWriter(max_words, reader=self.reader)
        self._ready: deque[Frame] = deque()

    @classmethod
    def open(cls, url: str, timeout: float = 5.0, max_words: int = MAX_PAYLOAD_WORDS,
             spin_s: float = SPIN_S) -> Transport:
        """Open a pyserial URL or device path. `spin_s`: how long a read on a direct TCP
        port polls before it sleeps (`host.tcp`; 0 when the device runs in this process)."""
        address = tcp_address(url)
        if address is not None:
            try:
                return cls(TcpPort(address, timeout, spin_s), timeout, max_words)
            except OSError as err:
                raise TransportError(f"cannot open {url}: {err}") from err
        try:
            port = serial.serial_for_url(url, timeout=timeout, write_timeout=timeout,
                                         do_not_open=True)
            # pyserial's open() ends by discarding received bytes; a device that answers at
            # once (a busy notice) would lose its answer, so keep them
            port.reset_input_buffer = lambda: None
            port.open()
        except (serial.SerialException, OSError, ValueError) as err:
            raise TransportError(f"cannot open {url}: {err}") from err
        return cls(port, timeout, max_words)

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the port (idempotent)."""
        self.port.close()

    def send(self, words: np.ndarray, ptype: PacketType = PacketType.UT) -> None:
        """Send words in as many maximal frames as needed (at least one frame). A program
        that fits one frame is written as one piece; longer ones as their first frame, then
        groups of `SEND_FRAMES` frames, so the device can start executing while the rest is
        still being framed and sent."""
        words = np.asarray(words, np.uint64)
        n = len(words)
        try:
            if n <= self.writer.max_words:
                self.port.write(self.writer.frame(ptype, words))
            else:
                step = self.writer.max_words
                edges = [0, *range(step, n, step * SEND_FRAMES), n]
                for start, end in pairwise(edges):
                    chunk = words[start:end]
                    if self._direct:
                        self.port.write_parts(self.writer.frame_parts(chunk, ptype))
                    else:
                        self.port.write(self.writer.frames(chunk, ptype))
            if not self._direct:
                self.port.flush()
        except (serial.SerialException, OSError) as err:
            raise TransportError(f"send failed: {err}") from err

    def receive(self, timeout: float | None = None) -> Frame:
        """The next good frame; `TransportTimeout` if none completes within the timeout.

        At the deadline a partial frame is given up (`FrameReader.flush`), so a frame cut short
        by the sender costs one timeout but never hides the frames behind it.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self._ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._ready.extend(self.reader.flush())
                if self._ready:
                    break
                raise TransportTimeout(f"no frame within the timeout ({self.reader.report()})")
            self._ready.extend(self.reader.feed(self._read(remaining)))
        return self._ready.popleft()

    def _read(self, timeout: float) -> bytes:
        """Whatever bytes arrive within `timeout` (at least one, unless it expires).

        Ports with a file descriptor (sockets, ptys, serial devices) are read directly: one
        select, then everything available in one read. pyserial's own read would return one
        byte per call on sockets (its `in_waiting` is 0 or 1) and drops bytes it has already
        read when the peer closes right after sending (e.g. a busy notice). A direct TCP port
        reads with the socket's own timeout instead, an in-process port takes the device's
        answer."""
        if self._direct:
            try:
                return self.port.read(timeout)
            except OSError as err:
                raise TransportError(f"receive failed: {err}") from err
        fd = self._fileno()
        if fd is None:
            try:
                self.port.timeout = timeout
                return self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError) as err:
                raise TransportError(f"receive failed: {err}") from err
        try:
            ready, _, _ = select.select([fd], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            data = os.read(fd, READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError as err:
            raise TransportError(f"receive failed: {err}") from err
        if not data:
            raise TransportError("receive failed: the connection was closed by the peer")
        return data

    def _fileno(self) -> int | None:
        """The port's file descriptor, or None (loop:// and other in-memory ports)."""
        try:
            return self.port.fileno()
        except (AttributeError, NotImplementedError, serial.SerialException, OSError):
            return None
