"""Link framing: layout, every error kind, resynchronisation and chunking invariance."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from bss2emu.protocol.link import (
    HEADER,
    MAX_PAYLOAD_WORDS,
    SYNC_BYTES,
    Frame,
    FrameReader,
    FrameWriter,
    LinkError,
    PacketType,
    encode_frame,
)
from conformance_strategies import SEEDED
from hypothesis import given
from hypothesis import strategies as st


def _header(ptype: int, length: int, seq: int = 0, ack: int = 0) -> bytes:
    """A header with a correct CRC, built independently of the code under test."""
    head = struct.pack(">IIIHH", 0xE71DB52C, ack, seq, ptype, length)
    return head + struct.pack(">I", zlib.crc32(head))


def test_golden_frame_layout():
    raw = encode_frame(PacketType.UT, [0x0102_0304_0506_0708], seq=1, ack=2)
    head = bytes.fromhex("E71DB52C" "00000002" "00000001" "0010" "0001")
    payload = bytes.fromhex("0102030405060708")
    head += zlib.crc32(head).to_bytes(4, "big")
    assert raw == head + payload + zlib.crc32(head + payload).to_bytes(4, "big")
    assert HEADER.parse(raw).length == 1


@SEEDED
@given(st.sampled_from([PacketType.UT, PacketType.LOOPBACK, PacketType.STATS]),
       st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=20),
       st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_round_trip_and_construct_agrees(ptype, words, seq, ack):
    raw = encode_frame(ptype, words, seq, ack)
    parsed = HEADER.parse(raw)  # the construct declaration reads what the fast path wrote
    assert (parsed.ptype, parsed.length, parsed.seq, parsed.ack) == (ptype, len(words), seq, ack)
    assert parsed.header_crc == zlib.crc32(raw[:16])
    reader = FrameReader()
    assert reader.feed(raw) == [Frame(ptype, seq, ack, np.array(words, np.uint64))]
    assert reader.pending_bytes == 0 and reader.garbage_bytes == 0


GOOD = encode_frame(PacketType.UT, [7, 8], seq=5)


def _flip(raw: bytes, byte: int, bit: int = 0) -> bytes:
    out = bytearray(raw)
    out[byte] ^= 1 << bit
    return bytes(out)


@pytest.mark.parametrize(("bad", "kind"), [
    (_flip(GOOD, 14), "bad_crc"),                                  # LEN bit in the header
    (_flip(GOOD, 25, 3), "bad_crc"),                               # payload bit
    (_flip(GOOD, len(GOOD) - 1), "bad_crc"),                       # payload CRC bit
    (_header(0x1234, 0) + struct.pack(">I", 0), "unknown_type"),
    (_header(PacketType.UT, MAX_PAYLOAD_WORDS + 1), "oversize"),
    (_header(PacketType.FLUSH, 1) + bytes(12), "bad_length"),
    (_header(PacketType.ARQ_RESET, 2) + bytes(20), "bad_length"),
    (_header(PacketType.UT, 0) + struct.pack(">I", 0), "bad_length"),
    (GOOD[:-5], "bad_crc"),                                        # truncated, then more data
])
def test_each_error_is_counted_and_the_next_frame_survives(bad, kind):
    reader = FrameReader()
    after = encode_frame(PacketType.UT, [9], seq=6)
    frames = reader.feed(bad + after)
    assert frames == [Frame(PacketType.UT, 6, 0, np.array([9], np.uint64))]
    assert reader.errors[kind] == 1
    assert sum(reader.errors.values()) == 1
    assert reader.recent[0].kind == kind and reader.recent[0].offset == 0
    assert reader.garbage_bytes == len(bad)


def test_truncated_frame_at_end_of_stream_is_released_by_flush():
    reader = FrameReader()
    long = encode_frame(PacketType.UT, list(range(50)), seq=1)
    short = encode_frame(PacketType.UT, [1], seq=2)
    assert reader.feed(long[:100] + short) == []  # still waiting for the long frame
    assert reader.flush() == [Frame(PacketType.UT, 2, 0, np.array([1], np.uint64))]
    assert reader.errors["truncated"] == 1 and reader.pending_bytes == 0


def test_garbage_only_and_partial_sync_kept():
    reader = FrameReader()
    assert reader.feed(b"\x00" * 10 + SYNC_BYTES[:3]) == []
    assert reader.garbage_bytes == 10 and reader.pending_bytes == 3
    assert reader.feed(SYNC_BYTES[3:] + GOOD[4:]) != []


def test_sequence_gaps_are_counted_not_dropped():
    writer = FrameWriter()
    raws = [writer.frame(PacketType.UT, [i]) for i in range(4)]
    reader = FrameReader()
    frames = reader.feed(raws[0] + raws[2] + raws[3])
    assert [f.seq for f in frames] == [0, 2, 3]
    assert reader.errors["sequence_gap"] == 1
    assert "sequence_gap 1" in reader.report()


def test_writer_splits_long_payloads():
    writer = FrameWriter(max_words=4)
    data = writer.frames(np.arange(10, dtype=np.uint64))
    frames = FrameReader(max_words=4).feed(data)
    assert [len(f.words) for f in frames] == [4, 4, 2]
    assert np.array_equal(np.concatenate([f.words for f in frames]), np.arange(10))


def test_long_frames_carry_zlibs_crc_and_a_flipped_payload_bit_loses_only_its_frame():
    """Maximal frames of a long program: their trailers are zlib's CRC-32 of header and
    payload, and a bit flipped inside the second frame's payload drops that frame alone."""
    words = np.random.default_rng(2).integers(0, 2**63, 3 * MAX_PAYLOAD_WORDS + 5,
                                              dtype=np.uint64)
    raw = bytearray(FrameWriter().frames(words))
    size = HEADER.sizeof() + 8 * MAX_PAYLOAD_WORDS + 4
    first = bytes(raw[:size])
    assert first[-4:] == zlib.crc32(first[:-4]).to_bytes(4, "big")
    raw[size + HEADER.sizeof() + 7000] ^= 0x10  # inside the second frame's payload
    reader = FrameReader()
    frames = reader.feed(bytes(raw))
    assert [f.seq for f in frames] == [0, 2, 3] and reader.errors["bad_crc"] == 1
    assert np.array_equal(frames[1].words, words[2 * MAX_PAYLOAD_WORDS:3 * MAX_PAYLOAD_WORDS])


@pytest.mark.parametrize(("ptype", "n"), [(PacketType.FLUSH, 1), (PacketType.UT, 0),
                                          (PacketType.ARQ_RESET, 0),
                                          (PacketType.UT, MAX_PAYLOAD_WORDS + 1)])
def test_encoder_refuses_lengths_the_reader_would_reject(ptype, n):
    with pytest.raises(LinkError):
        encode_frame(ptype, np.zeros(n, np.uint64))


def test_byte_by_byte_equals_all_at_once():
    writer = FrameWriter()
    data = b"junk" + writer.frame(PacketType.UT, [1, 2]) + _flip(
        writer.frame(PacketType.UT, [3]), 22) + writer.frame(PacketType.LOOPBACK, [])
    whole = FrameReader()
    expected = whole.feed(data)
    split = FrameReader()
    got = [f for i in range(len(data)) for f in split.feed(data[i:i + 1])]
    assert got == expected and len(got) == 2
    assert split.errors == whole.errors and split.garbage_bytes == whole.garbage_bytes


def test_ack_carries_the_last_sequence_number_received_both_ways():
    """docs/protocol.md §2: ACK = last SEQ received (0 before any), in server and host."""
    from bss2emu.chipsim import Chip
    from bss2emu.chipsim.fpga import Executor
    from bss2emu.chipsim.server import Session
    from bss2emu.protocol.link import ARQ_RESET_MAGIC, FrameReader, FrameWriter

    session = Session(Executor(Chip()), "test")
    host_reader = FrameReader()
    host = FrameWriter(reader=host_reader)
    assert host.ack == 0
    for _ in range(3):
        host.frame(PacketType.LOOPBACK, [1])  # frames the server never sees: SEQ 0, 1, 2
    replies = host_reader.feed(session.feed(host.frame(PacketType.ARQ_RESET, [ARQ_RESET_MAGIC])))
    assert [(f.ptype, f.ack) for f in replies] == [(PacketType.ARQ_RESET, 3)]
    replies = host_reader.feed(session.feed(host.frame(PacketType.LOOPBACK, [7])))
    assert [(f.seq, f.ack) for f in replies] == [(1, 4)]
    assert host.ack == 1  # the host acknowledges the server's last frame


def test_arq_reset_without_its_magic_word_is_ignored():
    from bss2emu.chipsim import Chip
    from bss2emu.chipsim.fpga import Executor
    from bss2emu.chipsim.server import Session
    from bss2emu.protocol.link import ARQ_RESET_MAGIC, FrameReader, FrameWriter

    session = Session(Executor(Chip()), "test")
    writer = FrameWriter()
    assert session.feed(writer.frame(PacketType.ARQ_RESET, [ARQ_RESET_MAGIC + 1])) == b""
    echo = FrameReader().feed(session.feed(writer.frame(PacketType.ARQ_RESET,
                                                        [ARQ_RESET_MAGIC])))
    assert [f.ptype for f in echo] == [PacketType.ARQ_RESET]
