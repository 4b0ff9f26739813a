"""Seeded generators of framed byte streams with damage, shared by the link tests."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bss2emu.protocol.link import LENGTHS, SYNC_BYTES, Frame, FrameWriter, PacketType


@dataclass
class Stream:
    """A byte stream, the frames a correct reader must return, and what was damaged."""

    data: bytearray = field(default_factory=bytearray)
    good: list[Frame] = field(default_factory=list)
    damaged: int = 0


def random_frame(rng: np.random.Generator, writer: FrameWriter) -> tuple[bytes, Frame]:
    """A valid frame of a random type and allowed length."""
    ptype = PacketType(rng.choice(list(LENGTHS)))
    low, high = LENGTHS[ptype]
    length = int(rng.integers(low, min(high if high is not None else 12, 12) + 1))
    words = rng.integers(0, 2**64, length, dtype=np.uint64)
    seq, ack = writer.seq, writer.ack
    return writer.frame(ptype, words), Frame(ptype, seq, ack, words)


def damage(rng: np.random.Generator, raw: bytes) -> bytes:
    """A frame with at least one byte changed: flipped bits, truncation, insertion, deletion."""
    kind = rng.integers(4)
    buf = bytearray(raw)
    if kind == 0:
        for bit in rng.choice(len(buf) * 8, size=int(rng.integers(1, 4)), replace=False):
            buf[bit // 8] ^= 1 << (bit % 8)
    elif kind == 1:
        del buf[int(rng.integers(1, len(buf))):]
    elif kind == 2:
        at = int(rng.integers(1, len(buf)))  # inside the frame, not before or after it
        buf[at:at] = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
    else:
        at = int(rng.integers(0, len(buf)))
        del buf[at:at + int(rng.integers(1, 9))]
    return bytes(buf)


def garbage(rng: np.random.Generator, max_len: int = 40) -> bytes:
    """Random bytes, sometimes containing a bare sync word."""
    junk = bytearray(rng.integers(0, 256, int(rng.integers(0, max_len)), dtype=np.uint8))
    if rng.random() < 0.3:
        at = int(rng.integers(0, len(junk) + 1))
        junk[at:at] = SYNC_BYTES
    return bytes(junk)


def damaged_stream(rng: np.random.Generator, segments: int = 8) -> Stream:
    """Good frames, damaged frames and garbage in random order.

    A damaged frame is expected back only if the damaged bytes (and what follows them) still
    contain the original frame, e.g. a frame cut short by one byte followed by garbage that
    starts with that byte, or inserted bytes that end with the sync's first byte: the stream
    then really does carry the frame (and the frame whose bytes it borrowed is broken).
    """
    writer = FrameWriter()
    out = Stream()
    placed: list[tuple[int, int, bytes, Frame]] = []
    for _ in range(segments):
        choice = rng.random()
        raw, frame = random_frame(rng, writer)
        if choice < 0.5:
            placed.append((len(out.data), len(raw), raw, frame))
            out.data += raw
        elif choice < 0.85:
            bad = damage(rng, raw)
            placed.append((len(out.data), len(bad), raw, frame))
            out.data += bad
            out.damaged += 1
        else:
            out.data += garbage(rng)
    taken = 0  # a frame restored from bytes of the next segment breaks that segment's frame
    for at, size, raw, frame in placed:
        found = out.data.find(raw, max(at, taken), at + size - 1 + len(raw))
        if found >= 0:
            out.good.append(frame)
            taken = found + len(raw)
    return out


def chunks(rng: np.random.Generator, data: bytes) -> list[bytes]:
    """Split bytes at random points (the way a socket delivers them)."""
    cuts = np.sort(rng.integers(0, len(data) + 1, int(rng.integers(0, 6))))
    bounds = [0, *cuts.tolist(), len(data)]
    return [bytes(data[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
