"""Fuzzing the device server with damaged frames, random byte streams and frames of random UT
words (seeded).

Invariants: the server never raises, stalls or dies; a rejected frame never changes chip state
(the damaged frames carry writes that would change every probed register, and the probe reads
them back through the protocol); every good frame after the garbage is still executed (each
probe program is answered completely).
"""
from __future__ import annotations

import socket

import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.chipsim.fpga import Executor
from bss2emu.chipsim.server import Session
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.link import ARQ_RESET_MAGIC, FrameReader, FrameWriter, PacketType
from bss2emu.protocol.ut import (
    Direction,
    LoopbackKind,
    ResponseDecoder,
    ToFPGA,
    encode,
    loopback,
    omnibus_reads,
    omnibus_writes,
)
from link_streams import damage, garbage

#: registers the damaged frames would overwrite: PADI bus configs, drivers (word 0), synapse
#: weight words
TARGETS = np.concatenate([
    np.array(ob.PADI_BASE) + 1, ob.SYNAPSE_DRIVER_BASE[0] + 4 * np.arange(8),
    ob.SYNRAM_BASE[1] + np.arange(14)]).astype(np.int64)
#: value masks so that every value is a legal word for its register
MASKS = np.array([0xF, 0xF] + [0xFFFF] * 8 + [0x3F3F3F3F] * 14, np.int64)
HALT = encode([loopback(LoopbackKind.HALT)], Direction.TO_FPGA)


class Device:
    """A server session in process: bytes in, decoded responses out."""

    def __init__(self, seed: int = 0) -> None:
        self.executor = Executor(Chip(seed=seed))
        self.session = Session(self.executor, "fuzz")
        self.client = FrameReader()
        self.state = np.zeros(TARGETS.size, np.int64)

    def send(self, data: bytes) -> list:
        return [f for f in self.client.feed(self.session.feed(data))
                if f.ptype is PacketType.UT]

    def probe(self, writer: FrameWriter, rng: np.random.Generator) -> None:
        """A good program: set new values, read every target back, halt; check it all."""
        new = rng.integers(0, 2**32, TARGETS.size) & MASKS
        program = np.concatenate([omnibus_writes(TARGETS, new), omnibus_reads(TARGETS), HALT])
        frames = self.send(writer.frame(PacketType.UT, program))
        out = ResponseDecoder().feed(np.concatenate([f.words for f in frames]))
        assert out.loopback["value"].tolist() == [LoopbackKind.HALT], "probe not executed"
        assert out.timeout.size == 0 and out.highspeed_link.size == 0
        assert out.omnibus["value"].tolist() == new.tolist()
        self.state = new

    def check_state(self, writer: FrameWriter) -> None:
        """Read the targets back (a second good program): nothing changed them since."""
        frames = self.send(writer.frame(PacketType.UT, np.concatenate(
            [omnibus_reads(TARGETS), HALT])))
        out = ResponseDecoder().feed(np.concatenate([f.words for f in frames]))
        assert out.omnibus["value"].tolist() == self.state.tolist()


def _damaged_section(rng: np.random.Generator, writer: FrameWriter, frames: int) -> bytes:
    """Damaged write frames and garbage; none of them still contains a whole good frame."""
    while True:
        parts, originals = [], []
        for _ in range(frames):
            sel = rng.choice(TARGETS.size, int(rng.integers(1, 7)), replace=False)
            values = rng.integers(0, 2**32, sel.size) & MASKS[sel]
            raw = writer.frame(PacketType.UT, omnibus_writes(TARGETS[sel], values))
            originals.append(raw)
            parts.append(damage(rng, raw))
            if rng.random() < 0.3:
                parts.append(garbage(rng))
        section = b"".join(parts)
        if not any(raw in section for raw in originals):
            return section


def _fuzz_damaged(seed: int, rounds: int, per_round: int) -> int:
    rng = np.random.default_rng(seed)
    dev, writer = Device(seed), FrameWriter()
    dev.probe(writer, rng)
    for _ in range(rounds):
        section = _damaged_section(rng, writer, per_round)
        cut = int(rng.integers(0, len(section) + 1))  # delivered in two pieces
        assert dev.send(section[:cut]) == [] and dev.send(section[cut:]) == []
        dev.check_state(writer)
        dev.probe(writer, rng)
    assert dev.session.reader.frames_ok == 2 * rounds + 1
    return rounds * per_round


def _fuzz_random_bytes(seed: int, streams: int) -> None:
    rng = np.random.default_rng(seed)
    dev, writer = Device(seed), FrameWriter()
    dev.probe(writer, rng)
    for _ in range(streams):
        junk = garbage(rng, max_len=600)
        assert dev.send(junk) == []
        dev.check_state(writer)
    dev.probe(writer, rng)


def _random_ut_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random 64-bit words with valid and invalid headers (WAIT_UNTIL kept under 2**16 ticks so
    that the emulated time stays short; addresses are random, almost all unknown)."""
    words = rng.integers(0, 2**64, n, dtype=np.uint64)
    header = rng.integers(0, 20, n).astype(np.uint64)
    words = (words & np.uint64(0x00FF_FFFF_FFFF_FFFF)) | (header << np.uint64(56))
    waits = header == ToFPGA.WAIT_UNTIL
    words[waits] &= np.uint64(0xFF00_0000_0000_FFFF)
    resets = header == ToFPGA.SYSTEM_RESET
    words[resets] &= np.uint64(0xFF00_0000_0000_0000)  # keep the chip configured
    return words


def _fuzz_random_programs(seed: int, frames: int) -> None:
    """Good frames of random UT words execute without harming the server; after an ARQ_RESET
    the next program is answered exactly."""
    rng = np.random.default_rng(seed)
    dev, writer = Device(seed), FrameWriter()
    for _ in range(frames):
        dev.send(writer.frame(PacketType.UT, _random_ut_words(rng, int(rng.integers(1, 64)))))
    dev.send(writer.frame(PacketType.ARQ_RESET, [ARQ_RESET_MAGIC]))
    dev.probe(writer, rng)
    dev.check_state(writer)
    totals = dev.executor.totals
    assert totals["malformed"] > 0 and totals["timeout"] > 0


def test_damaged_frames_never_change_chip_state():
    assert _fuzz_damaged(seed=1, rounds=250, per_round=12) >= 3000


def test_random_byte_streams_are_ignored():
    _fuzz_random_bytes(seed=2, streams=300)


def test_random_ut_programs_do_not_harm_the_server():
    _fuzz_random_programs(seed=3, frames=300)


def test_fuzz_over_a_loopback_socket():
    """The same through a real server loop: damaged frames and noise on TCP, then a host."""
    from bss2emu.host.connection import connect
    from bss2emu.host.program import PlaybackProgramBuilder
    from test_host_end_to_end import ServerThread

    rng = np.random.default_rng(4)
    server = ServerThread("tcp", seed=4)
    try:
        with connect(server.url, timeout=10) as conn:
            builder = PlaybackProgramBuilder(timer_setup=False)
            builder.write_many(TARGETS, TARGETS & MASKS)
            conn.run(builder.done())
        writer = FrameWriter()
        host, port = server.url[len("socket://"):].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            for _ in range(40):
                raw.sendall(_damaged_section(rng, writer, 10) + garbage(rng, 400))
        with connect(server.url, timeout=10) as conn:
            builder = PlaybackProgramBuilder(timer_setup=False)
            ticket = builder.read_many(TARGETS)
            idcode = builder.jtag_idcode()
            conn.run(builder.done())
        assert ticket.value.tolist() == (TARGETS & MASKS).tolist()
        assert idcode.value == 0x348580AF
        assert server.thread.is_alive()
    finally:
        server.stop()


@pytest.mark.slow
def test_fuzz_100k_damaged_frames_and_random_streams():
    assert _fuzz_damaged(seed=10, rounds=8_400, per_round=12) >= 100_000
    _fuzz_random_bytes(seed=11, streams=20_000)
    _fuzz_random_programs(seed=12, frames=5_000)


def test_probe_detects_a_changed_register():
    """The check can fail: a good write frame in the section changes the state it reads."""
    rng = np.random.default_rng(5)
    dev, writer = Device(5), FrameWriter()
    dev.probe(writer, rng)
    dev.send(writer.frame(PacketType.UT, omnibus_writes(TARGETS[:1], (dev.state[:1] ^ 1))))
    with pytest.raises(AssertionError):
        dev.check_state(writer)


def test_a_good_frame_stuck_behind_a_cut_frame_is_released(monkeypatch):
    """Over TCP: a frame cut short swallows the short good frame behind it as payload; the
    server gives the partial frame up after IDLE_FLUSH_S and finds the good frame."""
    import bss2emu.chipsim.server as server_module
    from test_host_end_to_end import ServerThread

    monkeypatch.setattr(server_module, "IDLE_FLUSH_S", 0.2)
    server = ServerThread("tcp", seed=6)
    try:
        writer = FrameWriter()
        cut = writer.frame(PacketType.UT, omnibus_writes(TARGETS[:10], TARGETS[:10] & MASKS[:10]))
        good = writer.frame(PacketType.UT, np.concatenate([omnibus_reads(TARGETS[:1]), HALT]))
        assert len(good) < 60
        host, port = server.url[len("socket://"):].split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(cut[:-60] + good)
            reader, frames = FrameReader(), []
            while not frames:
                frames = reader.feed(raw.recv(4096))  # socket timeout: 10 s
        out = ResponseDecoder().feed(frames[0].words)
        assert out.omnibus["value"].tolist() == [0]  # the cut frame's writes never happened
        assert out.loopback["value"].tolist() == [LoopbackKind.HALT]
    finally:
        server.stop()
