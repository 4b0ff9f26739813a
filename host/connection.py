"""Connections to a device server: `connect(url)` over any pyserial URL (socket://HOST:PORT,
a pty or serial device path), or `connect()` with no URL, which starts an embedded emulator
(the device in this interpreter, fed the same link frames without a socket) and ends its
session on `close()`.

On opening, the connection sends an ARQ_RESET frame and waits for its echo: this checks that
a device answers, starts a fresh session on the server, and turns the server's busy notice
into `DeviceBusy`. Every wait has a deadline: `run()` raises `ProgramTimeout` when no response
frame arrives within the timeout, `ConnectionLost` when the link fails. Nothing hangs.
"""
from __future__ import annotations

import numpy as np
from bss2emu.protocol.link import ARQ_RESET_MAGIC, PacketType, read_notice
from bss2emu.protocol.ut import LoopbackKind, ResponseDecoder, Responses, UTError

from .inprocess import InProcessPort
from .program import PlaybackProgram, ProgramResult, interpret
from .transport import Transport, TransportError, TransportTimeout

DEFAULT_TIMEOUT_S = 30.0


class HostError(RuntimeError):
    """Base class of connection errors."""


class ConnectionLost(HostError, ConnectionError):
    """The link could not be opened or failed."""


class DeviceBusy(HostError, ConnectionError):
    """The device server is serving another host."""


class ProgramLimitExceeded(HostError):
    """The device abandoned the program: it went over one of the server's limits (emulated
    time or response size per program; `bss2emu serve --help`)."""


class ProgramTimeout(HostError, TimeoutError):
    """No response arrived within the timeout."""


class ProtocolViolation(HostError):
    """The device sent something that is not a valid response stream."""


class Connection:
    """One host session on a device. Use as a context manager or call `close()`."""

    def __init__(self, transport: Transport, url: str, emulator: object | None = None) -> None:
        self.transport = transport
        self.url = url
        self.emulator = emulator  # the embedded device, if connect() started one

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the link and stop an embedded emulator (idempotent)."""
        self.transport.close()
        if self.emulator is not None:
            self.emulator.close()
            self.emulator = None

    def handshake(self, timeout: float | None = None) -> None:
        """ARQ_RESET round trip (see module docstring)."""
        self._send(np.array([ARQ_RESET_MAGIC], np.uint64), PacketType.ARQ_RESET)
        while True:
            frame = self._receive(timeout, "no answer to the link reset")
            if frame.ptype is PacketType.ARQ_RESET:
                return

    def run(self, program: PlaybackProgram, timeout: float | None = None) -> ProgramResult:
        """Execute a program; its tickets resolve and the result is returned."""
        _, responses = self.exchange(program.words, timeout)
        return interpret(program, responses)

    def exchange(self, words: np.ndarray, timeout: float | None = None
                 ) -> tuple[np.ndarray, Responses]:
        """Send one program's to-FPGA words (ending with a halt) and collect the response words
        up to the halt echo: (raw response words, decoded responses). `timeout` bounds each
        wait for a frame. One program at a time: the FPGA starts every program's response
        stream at decoder time 0."""
        self._send(words, PacketType.UT)
        decoder = ResponseDecoder()
        raw, parts, seen = [], [], 0
        while not seen:
            frame = self._receive(timeout, "no response from the device")
            if frame.ptype is not PacketType.UT:
                continue
            raw.append(frame.words)
            try:
                part = decoder.feed(frame.words)
            except UTError as err:
                raise ProtocolViolation(f"undecodable response: {err}") from err
            parts.append(part)
            seen += part.loopback["value"].tolist().count(LoopbackKind.HALT)
        responses = Responses.concatenate(parts)
        if decoder.pending_words:
            raise ProtocolViolation("response stream ends inside a message")
        return (raw[0] if len(raw) == 1 else np.concatenate(raw)), responses

    def _send(self, words: np.ndarray, ptype: PacketType) -> None:
        try:
            self.transport.send(words, ptype)
        except TransportError as err:
            raise ConnectionLost(f"{self.url}: {err}") from err

    def _receive(self, timeout: float | None, what: str):
        try:
            frame = self.transport.receive(timeout)
        except TransportTimeout as err:
            raise ProgramTimeout(f"{self.url}: {what} within the timeout ({err})") from None
        except TransportError as err:
            raise ConnectionLost(f"{self.url}: {err}") from err
        found = read_notice(frame)
        if found is not None:
            kind, reason = found
            if kind == "busy":
                raise DeviceBusy(f"{self.url}: {reason}")
            raise ProgramLimitExceeded(f"{self.url}: program abandoned: {reason}")
        return frame


def connect(url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S, seed: int = 0
            ) -> Connection:
    """Open a connection: a pyserial URL / device path, or None for an embedded emulator
    (chip seed `seed`) that runs in this interpreter (`chipsim.embedded`: the same link frames,
    no socket). The link is checked with an ARQ_RESET round trip."""
    emulator = None
    if url is None:
        from bss2emu.chipsim.embedded import EmbeddedDevice  # the only host -> chipsim import

        emulator = EmbeddedDevice(seed=seed)
        url = emulator.url
        transport = Transport(InProcessPort(emulator.feed), timeout)
    else:
        try:
            transport = Transport.open(url, timeout)
        except TransportError as err:
            raise ConnectionLost(str(err)) from err
    conn = Connection(transport, url, emulator)
    try:
        conn.handshake(min(timeout, 10.0))
    except BaseException:
        conn.close()
        raise
    return conn


__all__ = ["Connection", "ConnectionLost", "DeviceBusy", "HostError",
           "ProgramTimeout", "ProtocolViolation", "connect"]
