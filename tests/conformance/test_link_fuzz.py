"""Fuzzing the frame reader with damaged frames and random byte streams (seeded).

Invariants: the reader never raises or stalls; it returns exactly the undamaged frames, in
order; every byte is either part of a returned frame or counted as garbage.
"""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol.link import SYNC_BYTES, FrameReader
from link_streams import chunks, damaged_stream


def _check_stream(rng: np.random.Generator) -> int:
    stream = damaged_stream(rng)
    reader = FrameReader()
    got = [f for part in chunks(rng, stream.data) for f in reader.feed(part)]
    got += reader.flush()
    assert got == stream.good
    frame_bytes = sum(24 + 8 * len(f.words) for f in got)
    assert reader.garbage_bytes + frame_bytes == len(stream.data)
    assert reader.pending_bytes == 0
    gaps = sum(b.seq != a.seq + 1 for a, b in zip(got, got[1:], strict=False))
    assert reader.errors["sequence_gap"] == gaps
    return stream.damaged


def _check_random_bytes(rng: np.random.Generator) -> None:
    data = bytearray(rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8))
    for _ in range(int(rng.integers(0, 4))):
        at = int(rng.integers(0, len(data) + 1))
        data[at:at] = SYNC_BYTES
    reader = FrameReader()
    got = [f for part in chunks(rng, bytes(data)) for f in reader.feed(part)] + reader.flush()
    assert got == []
    assert reader.garbage_bytes == len(data) and reader.pending_bytes == 0


def test_chunking_keeps_error_offsets_and_counts():
    """Held-back frames completed from a larger chunk, whose rest is scanned in place: the
    same frames, errors (kind and stream offset) and garbage as one feed of the whole stream."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        stream = damaged_stream(rng)
        whole, reader = FrameReader(keep_errors=1000), FrameReader(keep_errors=1000)
        expected = whole.feed(bytes(stream.data)) + whole.flush()
        got = [f for part in chunks(rng, stream.data) for f in reader.feed(part)]
        got += reader.flush()
        assert got == expected
        assert list(reader.recent) == list(whole.recent)
        assert reader.errors == whole.errors and reader.garbage_bytes == whole.garbage_bytes


def _fuzz(seed: int, streams: int, random_streams: int) -> int:
    rng = np.random.default_rng(seed)
    damaged = sum(_check_stream(rng) for _ in range(streams))
    for _ in range(random_streams):
        _check_random_bytes(rng)
    return damaged


def test_fuzz_quick():
    damaged = _fuzz(seed=1, streams=3000, random_streams=2000)
    assert damaged > 7500  # ~2.8 damaged frames per stream of 8 segments


@pytest.mark.slow
def test_fuzz_100k_damaged_frames():
    damaged = _fuzz(seed=2, streams=36_000, random_streams=20_000)
    assert damaged >= 100_000
