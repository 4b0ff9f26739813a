"""The fast paths of the host link give exactly what the general paths give: the scalar
response decoder for short batches against the vectorised one, the executor's word-by-word
path for short batches against its search for runs of writes, scatter-gather framing against
frame-by-frame encoding, the scalar one-word message builder against construct, the chip's
slice path for runs of synapse writes against writes one by one."""
from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import pytest
from bss2emu.chipsim import fpga
from bss2emu.chipsim.chip import Chip
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.link import FrameWriter, PacketType, encode_frame
from bss2emu.protocol.ut import (
    Direction,
    ResponseDecoder,
    Responses,
    ToFPGA,
    UTError,
    encode,
    encode_message,
)
from bss2emu.protocol.ut.constants import HEADER_BITS, WORD_BITS
from bss2emu.protocol.ut.fields import single_word, word_fields
from conformance_strategies import SEEDED, messages_of
from hypothesis import given
from hypothesis import strategies as st

SCALAR, VECTOR = 1 << 30, 0  # scalar_max_words forcing one path


def _decode_all(words: np.ndarray, start: int, bounds: list[int], scalar_max: int
                ) -> tuple[Responses, int, int]:
    dec = ResponseDecoder(start, scalar_max_words=scalar_max)
    out = Responses.concatenate([dec.feed(words[a:b]) for a, b in pairwise(bounds)])
    return out, dec.time, dec.pending_words


@SEEDED
@given(st.lists(messages_of(Direction.FROM_FPGA), max_size=60), st.integers(0, 1 << 42),
       st.lists(st.integers(0, 80), max_size=5))
def test_scalar_response_decoder_equals_vector_decoder(msgs, start, cuts):
    words = encode(msgs, Direction.FROM_FPGA)
    bounds = [0, *sorted(min(c, len(words)) for c in cuts), len(words)]
    fast, fast_time, fast_pending = _decode_all(words, start, bounds, SCALAR)
    slow, slow_time, slow_pending = _decode_all(words, start, bounds, VECTOR)
    for name in Responses.__dataclass_fields__:
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        assert a.tobytes() == b.tobytes(), name
    assert (fast_time, fast_pending) == (slow_time, slow_pending)


@pytest.mark.parametrize("scalar_max", [SCALAR, VECTOR])
def test_both_decoders_reject_an_unknown_header_and_recover(scalar_max):
    dec = ResponseDecoder(scalar_max_words=scalar_max)
    with pytest.raises(UTError, match="unknown FROM_FPGA header at bit 0"):
        dec.feed(np.array([0x0D00_0000_0000_0000], np.uint64))
    assert dec.pending_words == 0
    assert len(dec.feed(np.array([0x0200_0000_0000_0000], np.uint64)).loopback) == 1


@cache
def _executors() -> tuple[fpga.Executor, fpga.Executor]:
    """Two executors that see the same programs (one per path), built once."""
    return fpga.Executor(Chip(seed=0)), fpga.Executor(Chip(seed=0))


@SEEDED
@given(st.lists(st.tuples(st.sampled_from(["write", "partial", "read"]), st.integers(0, 7),
                          st.integers(0, (1 << 32) - 1)), min_size=1, max_size=12))
def test_executor_short_batches_equal_the_write_run_path(accesses):
    """Short batches run word by word, long ones search runs of writes first: same answers,
    same memory. Addresses: extmem words, and one that nobody answers (timeouts)."""
    builder = PlaybackProgramBuilder(timer_setup=False)
    addresses = [fr.EXTMEM_BASE + k for k in range(7)] + [0x7FFF_FFF0]
    for kind, which, word in accesses:
        address = addresses[which]
        if kind == "read":
            builder.read(address)
        else:
            builder.write(address, word, 0x5 if kind == "partial" else 0xF)
    words = builder.done().words
    answers = []
    for short, ex in zip((len(words), 0), _executors(), strict=True):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fpga, "SHORT_BATCH_WORDS", short)
            answers.append((ex.execute(words).tobytes(), ex.chip.extmem[:28].tobytes()))
    assert answers[0] == answers[1]


def _is_full_write(address_word: int, data_word: int) -> bool:
    """Whether two words are a full-word omnibus write, read field by field."""
    header = WORD_BITS - HEADER_BITS
    return (address_word >> header == ToFPGA.OMNIBUS_ADDRESS
            and data_word >> header == ToFPGA.OMNIBUS_DATA
            and word_fields(ToFPGA.OMNIBUS_ADDRESS, address_word)["is_read"] == 0
            and word_fields(ToFPGA.OMNIBUS_ADDRESS, address_word)["byte_enables"] == 0xF)


def _leading_writes_by_loop(words: list[int]) -> int:
    """How many full-word writes the words start with, pair by pair (the oracle)."""
    count = 0
    while 2 * count + 1 < len(words) and _is_full_write(*words[2 * count:2 * count + 2]):
        count += 1
    return count


@SEEDED
@given(st.lists(st.tuples(st.sampled_from(["write", "address", "partial", "read", "data", "any"]),
                          st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 64) - 1)),
                max_size=30))
def test_leading_write_pairs_counts_like_a_loop(pieces):
    """The executor's one-compare count of leading full-word writes equals a loop over the
    word pairs."""
    make = {"write": lambda a, w: [single_word(ToFPGA.OMNIBUS_ADDRESS, address=a, is_read=0,
                                               byte_enables=0xF),
                                   single_word(ToFPGA.OMNIBUS_DATA, value=a ^ 0x5A5A)],
            "address": lambda a, w: [single_word(ToFPGA.OMNIBUS_ADDRESS, address=a, is_read=0,
                                                 byte_enables=0xF)],
            "partial": lambda a, w: [single_word(ToFPGA.OMNIBUS_ADDRESS, address=a, is_read=0,
                                                 byte_enables=0x3)],
            "read": lambda a, w: [single_word(ToFPGA.OMNIBUS_ADDRESS, address=a, is_read=1,
                                              byte_enables=0xF)],
            "data": lambda a, w: [single_word(ToFPGA.OMNIBUS_DATA, value=a)],
            "any": lambda a, w: [w]}
    words = [word for kind, a, w in pieces for word in make[kind](a, w)]
    expected = _leading_writes_by_loop(words)
    assert fpga._leading_write_pairs(np.array(words, np.uint64)) == expected


_CHUNK_WRITES = len(fpga._PATTERN) // 2  # writes compared at once


@pytest.mark.parametrize("broken", [None, 0, _CHUNK_WRITES - 1, _CHUNK_WRITES, 20000, 39999])
def test_leading_write_pairs_across_compare_chunks(broken):
    """Long runs of writes (compared in pieces): the count stops at the first broken data
    word wherever it lies."""
    address = single_word(ToFPGA.OMNIBUS_ADDRESS, address=0, is_read=0, byte_enables=0xF)
    data = single_word(ToFPGA.OMNIBUS_DATA, value=0)
    words = np.array([address, data] * 40000, np.uint64) | np.arange(80000, dtype=np.uint64)
    if broken is not None:
        words[2 * broken + 1] = single_word(ToFPGA.LOOPBACK, value=0)
    expected = _leading_writes_by_loop(words.tolist())
    assert expected == (40000 if broken is None else broken)
    assert fpga._leading_write_pairs(words) == expected


@SEEDED
@given(st.lists(st.integers(0, (1 << 64) - 1), max_size=40), st.integers(1, 16),
       st.integers(0, (1 << 32) - 1))
def test_scatter_gather_frames_equal_frame_by_frame_encoding(words, max_words, seq):
    """`FrameWriter.frame_parts` (one byte swap, views) and `frames` give the bytes of one
    `encode_frame` per slice."""
    words = np.array(words, np.uint64)
    fast, joined = FrameWriter(max_words), FrameWriter(max_words)
    fast.seq = joined.seq = seq
    expected = b"".join(encode_frame(PacketType.UT, words[i:i + max_words], (seq + k) % 2**32,
                                     0, max_words)
                        for k, i in enumerate(range(0, len(words), max_words)))
    assert b"".join(fast.frame_parts(words)) == expected
    assert joined.frames(words) == expected


@SEEDED
@given(messages_of(Direction.FROM_FPGA) | messages_of(Direction.TO_FPGA))
def test_single_word_equals_the_construct_encoding(msg):
    """The executor's scalar word builder (precomputed header words) against the construct
    declaration, for every one-word message."""
    if msg.spec.word_width != 64:
        return
    assert single_word(msg.instruction, **msg.fields).to_bytes(8, "big") == encode_message(msg)


@cache
def _chips() -> tuple[Chip, Chip]:
    """Two chips that see the same writes (bulk, one by one), built once."""
    return Chip(seed=0), Chip(seed=0)


@SEEDED
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 16383), st.integers(1, 40)),
                min_size=1, max_size=6), st.data())
def test_write_many_runs_equal_writes_one_by_one(runs, data):
    """Runs of consecutive synapse-plane addresses (write_many's slice path) leave the synapse
    arrays as the same writes one by one do."""
    planes = [ob.block(kind, h) for h in range(2)
              for kind in ("synapse_weight_quad", "synapse_label_quad")]
    addresses = np.concatenate([planes[p].base + np.arange(start, min(start + n, 16384))
                                for p, start, n in runs])
    words = np.array(data.draw(st.lists(st.sampled_from([0, 0x3F3F_3F3F, 0x0102_0304,
                                                         0x2A00_1F3E]),
                                        min_size=addresses.size, max_size=addresses.size)),
                     np.int64)
    bulk, single = _chips()
    bulk.write_many(addresses, words)
    for a, w in zip(addresses.tolist(), words.tolist(), strict=True):
        single.write(a, w)
    assert np.array_equal(bulk.config.weight, single.config.weight)
    assert np.array_equal(bulk.config.label, single.config.label)


@cache
def _table_chip() -> Chip:
    """A chip for random configuration writes, built once."""
    return Chip(seed=0)


#: configuration kinds kept in tables (the register file reads only a word's own fields)
_TABLE_BLOCKS = [b for kind in _table_chip().config.fields for b in ob.KINDS[kind]
                 if b.readable and b.writable]


@SEEDED
@given(st.sampled_from(_TABLE_BLOCKS), st.data())
def test_register_reads_equal_the_encoding_of_all_fields(block, data):
    """A read of one word of a configuration table (only that word's fields are fetched, where
    from is kept after the first read) gives the container's encoding of the entry's complete
    values, after random writes."""
    chip = _table_chip()
    entry = data.draw(st.integers(0, block.count - 1))
    values = {name: data.draw(st.integers(0, (1 << width) - 1))
              for name, width in block.container.fields.items()}
    words = block.container.encode(**values)
    for k in range(len(words)):  # a first read before the writes
        chip.read(block.address(entry, k))
    for k, word in enumerate(words):
        chip.write(block.address(entry, k), word)
    assert chip.fields(block.kind, block.first + entry) == values
    for k, word in enumerate(words):
        assert chip.read(block.address(entry, k)) == word
