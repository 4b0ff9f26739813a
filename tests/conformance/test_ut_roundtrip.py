"""Property tests: every codec path is the identity on valid messages and agrees with the
scalar construct reference (encode, stream, bulk pack/split, response arrays)."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol.ut import (
    DICTIONARIES,
    Direction,
    Message,
    StreamDecoder,
    UTError,
    build,
    decode,
    decode_message,
    encode,
    encode_message,
    extract,
    pack_words,
    split_words,
)
from bss2emu.protocol.ut.fields import Wide
from conformance_strategies import SEEDED, messages_of
from hypothesis import given
from hypothesis import strategies as st

DIRECTIONS = st.sampled_from(list(Direction))


@SEEDED
@given(st.data())
def test_message_round_trip(data):
    direction = data.draw(DIRECTIONS)
    msg = data.draw(messages_of(direction))
    raw = encode_message(msg)
    assert len(raw) * 8 == msg.spec.word_width
    assert raw[0] == int(msg.instruction)  # comma 0 + header in the first byte
    assert decode_message(direction, raw) == msg


@SEEDED
@given(st.data())
def test_stream_round_trip(data):
    direction = data.draw(DIRECTIONS)
    msgs = data.draw(st.lists(messages_of(direction), max_size=20))
    words = encode(msgs, direction)
    bits = sum(m.spec.word_width for m in msgs)
    assert len(words) == -(-bits // 64)
    assert decode(words, direction) == msgs


def _wide(msgs) -> Wide:
    parts = [build(m.instruction, **m.fields) for m in msgs]
    return Wide(*(np.concatenate([getattr(p, f) for p in parts]) for f in Wide._fields))


@SEEDED
@given(st.data())
def test_bulk_pack_matches_scalar_encoder(data):
    direction = data.draw(DIRECTIONS)
    msgs = data.draw(st.lists(messages_of(direction), min_size=1, max_size=20))
    assert np.array_equal(pack_words(_wide(msgs)), encode(msgs, direction))


@SEEDED
@given(st.data())
def test_bulk_split_matches_scalar_decoder(data):
    direction = data.draw(DIRECTIONS)
    msgs = data.draw(st.lists(messages_of(direction), max_size=30))
    words = list(encode(msgs, direction))
    # idle words (leading comma) may appear wherever a header is due at a word boundary
    for at in data.draw(st.lists(st.integers(0, len(words)), max_size=3)):
        words.insert(at, 0x8000_0000_0000_0000 | at)
    arr = np.array(words, np.uint64)
    split = split_words(arr, direction, block=data.draw(st.integers(1, 40)))
    assert split.error is None and split.resume == len(arr) * (64 // _unit(direction))
    got = []
    for header, hi, lo in zip(split.header, split.hi, split.lo, strict=True):
        instruction = DICTIONARIES[direction][int(header)].instruction
        fields = {k: int(v[0]) for k, v in extract(instruction, hi[None], lo[None]).items()}
        got.append((instruction, fields))
    assert got == [(m.instruction, dict(m.fields)) for m in decode(arr, direction)]


@SEEDED
@given(st.data())
def test_bulk_split_agrees_with_scalar_on_arbitrary_words(data):
    direction = data.draw(DIRECTIONS)
    words = data.draw(st.lists(st.integers(0, 2**64 - 1), max_size=12))
    words += data.draw(st.lists(st.sampled_from([0x0200_0000_0000_0000, 0x8000_0000_0000_0000,
                                                 0x0C00_0000_0000_0000]), max_size=4))
    arr = np.array(words, np.uint64)
    dec = StreamDecoder(direction)
    try:
        expected, error = dec.feed(arr), False
    except UTError:
        expected, error = None, True
    split = split_words(arr, direction, block=data.draw(st.integers(1, 16)))
    assert (split.error is not None) == error
    if not error:
        assert [int(h) for h in split.header] == [int(m.instruction) for m in expected]


def _unit(direction: Direction) -> int:
    return 64 if direction is Direction.TO_FPGA else 16




def _random_messages(direction: Direction, count: int, seed: int) -> list[Message]:
    """`count` messages of random instructions with every field drawn over its full width."""
    rng = np.random.default_rng(seed)
    rows = DICTIONARIES[direction]
    return [Message(row.instruction, {name: int(rng.integers(0, 1 << width))
                                      for name, (_, width) in row.fields.items()})
            for row in (rows[i] for i in rng.integers(0, len(rows), count))]


@pytest.mark.parametrize("block", [None, 7, 1000])
def test_bulk_split_of_a_long_stream_matches_scalar_decoder(block):
    """Thousands of messages: the chain is followed over many doubling steps and, with a
    short block, across many pieces; a tail cut inside a message resumes at its start."""
    direction = Direction.FROM_FPGA
    msgs = _random_messages(direction, 3000, seed=block or 0)
    words = encode(msgs, direction)
    split = split_words(words, direction, block=block)
    assert split.error is None and split.resume == 4 * len(words)
    assert [int(h) for h in split.header] == [int(m.instruction) for m in msgs]
    for instruction in {m.instruction for m in msgs}:
        sel = split.header == instruction
        got = extract(instruction, split.hi[sel], split.lo[sel])
        want = [m for m in msgs if m.instruction == instruction]
        for name, values in got.items():
            assert values.tolist() == [m.fields[name] for m in want], (instruction, name)
    cut = split_words(words[:-1], direction, block=block)
    complete = [p for p, m in zip(split.position, msgs, strict=True)
                if p + m.spec.word_width // 16 <= 4 * (len(words) - 1)]
    assert cut.position.tolist() == complete
    assert cut.resume == (split.position[len(complete)] if len(complete) < len(msgs)
                          else 4 * (len(words) - 1))
