"""The device's C CRC-32 (csrc/crc32.c) gives zlib's values, and the device's frame reader with
it accepts and rejects the same long frames as with zlib."""
from __future__ import annotations

import zlib

import numpy as np
import pytest
from bss2emu.chipsim._core import ffi, lib
from bss2emu.chipsim.server import FRAME_CRC32, folded_crc32
from bss2emu.protocol.link import LONG_FRAME_WORDS, FrameReader, FrameWriter


def c_crc32(data: bytes, start: int) -> int:
    return lib.bss2_crc32(start, ffi.from_buffer(data), len(data))


@pytest.mark.parametrize("start", [0, 0xFFFF_FFFF, 0x1234_5678])
def test_equals_zlib_for_every_length_and_alignment(start):
    rng = np.random.default_rng(start & 0xFF)
    raw = rng.integers(0, 256, 4096 + 64, np.uint8).tobytes()
    for n in [*range(300), 1000, 4096]:
        for offset in (0, 1, 7, 13):  # unaligned starts of the 16-byte loads
            data = raw[offset:offset + n]
            assert c_crc32(data, start) == zlib.crc32(data, start), (n, offset)


def test_equals_zlib_on_a_bulk_program_and_in_pieces():
    data = np.random.default_rng(1).integers(0, 256, 1 << 20, np.uint8).tobytes()
    assert c_crc32(data, 0) == zlib.crc32(data)
    crc = 0
    for i in range(0, len(data), 32_772):  # a running CRC carried from piece to piece
        crc = c_crc32(data[i:i + 32_772], crc)
    assert crc == zlib.crc32(data)
    assert folded_crc32(memoryview(data)[5:70_000]) == zlib.crc32(data[5:70_000])


def test_accelerated_here_when_the_cpu_has_pclmul():
    with open("/proc/cpuinfo") as f:
        has_pclmul = " pclmulqdq" in f.read()
    assert bool(lib.bss2_crc32_accelerated()) == has_pclmul
    assert (FRAME_CRC32 is folded_crc32) == has_pclmul


def test_reader_with_the_c_crc_accepts_and_rejects_as_with_zlib():
    words = np.random.default_rng(2).integers(0, 2**63, 3 * 4096 + 5, dtype=np.uint64)
    raw = bytearray(FrameWriter().frames(words))
    assert len(words) > LONG_FRAME_WORDS
    raw[40_000] ^= 0x10  # a payload bit of the second frame
    results = []
    for crc32 in (zlib.crc32, folded_crc32):
        reader = FrameReader(crc32=crc32)
        frames = reader.feed(bytes(raw))
        results.append(([f.seq for f in frames], dict(reader.errors)))
        assert np.array_equal(frames[0].words, words[:4096])
    assert results[0] == results[1]
    assert results[0][0] == [0, 2, 3] and results[0][1]["bad_crc"] == 1
