"""host.transport over real byte streams: a TCP server on 127.0.0.1 and a pty pair."""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

import numpy as np
import pytest
from bss2emu.host.transport import Transport, TransportError, TransportTimeout
from bss2emu.protocol.link import FrameWriter, PacketType
from bss2emu.protocol.ut import (
    Direction,
    LoopbackKind,
    decode,
    encode,
    loopback,
    omnibus_writes,
    wait_until,
)

TIMEOUT = 5.0


class Server:
    """A one-connection TCP server on a loopback address, running `handler(conn)` once."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(TIMEOUT)
        self.url = f"socket://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._run, args=(handler,), daemon=True)
        self.thread.start()

    def _run(self, handler: Callable[[socket.socket], None]) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(TIMEOUT)
            handler(conn)

    def stop(self) -> None:
        self.thread.join(TIMEOUT)
        self.sock.close()


def _echo(conn: socket.socket) -> None:
    """Echo bytes until the client closes."""
    try:
        while data := conn.recv(65536):
            conn.sendall(data)
    except OSError:
        return


def _sender(payload: bytes, hold: threading.Event | None = None) -> Callable:
    def handler(conn: socket.socket) -> None:
        conn.sendall(payload)
        if hold is not None:
            hold.wait(TIMEOUT)
    return handler


@pytest.fixture
def serve():
    servers = []

    def start(handler):
        servers.append(Server(handler))
        return servers[-1]
    yield start
    for server in servers:
        server.stop()


def test_tcp_echo_carries_a_ut_program(serve):
    server = serve(_echo)
    rng = np.random.default_rng(7)
    addr = rng.integers(0, 2**32, 3000, dtype=np.uint64)
    words = omnibus_writes(addr, addr ^ np.uint64(0xFFFF))
    with Transport.open(server.url, timeout=TIMEOUT, max_words=1000) as link:
        link.send(words)
        frames = [link.receive() for _ in range(6)]  # 6000 words in frames of 1000
    got = np.concatenate([f.words for f in frames])
    assert np.array_equal(got, words)
    assert [f.seq for f in frames] == list(range(6))
    assert link.reader.frames_ok == 6 and sum(link.reader.errors.values()) == 0


def test_tcp_damage_is_counted_and_good_frames_arrive(serve):
    writer = FrameWriter()
    good = writer.frame(PacketType.UT, encode([wait_until(1)], Direction.TO_FPGA))
    bad = bytearray(writer.frame(PacketType.UT, [1, 2, 3]))
    bad[30] ^= 0x10
    last = writer.frame(PacketType.UT, [42])
    hold = threading.Event()
    server = serve(_sender(b"noise" + good + bytes(bad) + last, hold))
    with Transport.open(server.url, timeout=TIMEOUT) as link:
        first, second = link.receive(), link.receive()
        hold.set()
    assert decode(first.words, Direction.TO_FPGA) == [wait_until(1)]
    assert second.words.tolist() == [42]
    assert link.reader.errors["bad_crc"] == 1 and link.reader.errors["sequence_gap"] == 1


def test_tcp_silence_times_out_instead_of_hanging(serve):
    hold = threading.Event()
    server = serve(_sender(b"", hold))
    with Transport.open(server.url, timeout=TIMEOUT) as link:
        with pytest.raises(TransportTimeout):
            link.receive(timeout=0.2)
        hold.set()


def test_tcp_truncated_frame_is_given_up_at_the_deadline(serve):
    writer = FrameWriter()
    long = writer.frame(PacketType.UT, np.arange(100, dtype=np.uint64))
    short = writer.frame(PacketType.UT, [5])
    hold = threading.Event()
    server = serve(_sender(long[:200] + short, hold))
    with Transport.open(server.url, timeout=TIMEOUT) as link:
        frame = link.receive(timeout=0.3)
        hold.set()
    assert frame.words.tolist() == [5]
    assert link.reader.errors["truncated"] == 1


def test_tcp_peer_closing_raises(serve):
    server = serve(_sender(b""))
    with Transport.open(server.url, timeout=TIMEOUT) as link:
        with pytest.raises(TransportError):
            link.receive(timeout=2.0)


def test_unreachable_url_raises():
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(TransportError):
        Transport.open(f"socket://127.0.0.1:{port}", timeout=1.0)


def test_pty_round_trip():
    master, slave = os.openpty()
    try:
        with Transport.open(os.ttyname(slave), timeout=TIMEOUT) as link:
            writer = FrameWriter()
            os.write(master, writer.frame(PacketType.UT, [1, 2, 3]))
            assert link.receive().words.tolist() == [1, 2, 3]
            link.send(np.array([9, 8], np.uint64))
            data = b""
            for _ in range(100):  # bounded: the frame is 40 bytes
                data += os.read(master, 4096)
                if len(data) >= 40:
                    break
            assert data == FrameWriter().frame(PacketType.UT, [9, 8])
    finally:
        os.close(master)
        os.close(slave)


def test_in_process_loop_url_round_trip():
    program = [wait_until(5), loopback(LoopbackKind.HALT)]
    with Transport.open("loop://", timeout=TIMEOUT) as link:
        link.send(encode(program, Direction.TO_FPGA))
        assert decode(link.receive().words, Direction.TO_FPGA) == program
