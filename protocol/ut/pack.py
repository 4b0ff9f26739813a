"""Vectorised packing of many messages into 64-bit words and the inverse split.

`pack_words` is the numpy twin of `stream.Encoder` (+ flush); `split_words` the twin of
`stream.StreamDecoder`.  Both work on "units": the largest bit count dividing every message
width of a direction and 64 (64 bits to the FPGA, 16 bits from it), so every message starts
on a unit boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from math import gcd

import numpy as np

from .constants import HEADER_BITS, WORD_BITS
from .dictionary import DICTIONARIES
from .enums import Direction
from .fields import Wide
from .message import UTError

_U64 = np.uint64
#: header bytes at or above this have their comma bit set
_COMMA_HEADER = 1 << (HEADER_BITS - 1)


def pack_words(msgs: Wide) -> np.ndarray:
    """Concatenate messages MSB-first into uint64 words and flush (comma, then zeros)."""
    width = msgs.width
    n = len(msgs.lo)
    if not n or (int(width.min()) == WORD_BITS and int(width.max()) == WORD_BITS):
        return msgs.lo.astype(_U64, copy=True)
    bits = int(np.bitwise_or.reduce(width))
    if bits % 8 or int(width.max()) > 2 * WORD_BITS:
        raise UTError("bulk packing needs byte-multiple widths of at most 128 bits")
    # the messages as big-endian units of the largest size dividing every width and a word:
    # gcd(widths, 64) is a power of two, the lowest bit set in any width or in 64
    unit = (bits | WORD_BITS) & -(bits | WORD_BITS)
    per_message = 2 * WORD_BITS // unit
    table = np.empty((n, 2), ">u8")
    table[:, 0] = msgs.hi
    table[:, 1] = msgs.lo
    table = table.view(f">u{unit // 8}").reshape(-1)
    # each message's last `units` units of its row, rows in order
    units = width >> (unit.bit_length() - 1)
    end = np.cumsum(units)
    row_end = np.arange(per_message, per_message * n + 1, per_message, dtype=end.dtype)
    stream = table[np.repeat(row_end - end, units) + np.arange(int(end[-1]))].view(np.uint8)
    tail = (-len(stream)) % 8
    if tail:
        stream = np.concatenate([stream, np.array([0x80] + [0] * (tail - 1), np.uint8)])
    return stream.view(">u8").astype(_U64)


@dataclass(frozen=True)
class Grammar:
    """What the splitter needs to know about one direction's dictionary."""

    unit: int            # bits per unit
    per_word: int        # units per 64-bit word
    length: np.ndarray   # header byte -> message length in units, 0 = unknown header
    step: np.ndarray     # header byte -> length, -1 for a comma (byte >= 0x80), 0 unknown
    jump: np.ndarray     # (header byte, unit in word) -> units to the next message start
    #                      (past the word for a comma; UNKNOWN_JUMP for an unknown header)


#: `Grammar.jump` of an unknown header: past the end of any buffer, so the chain stops there
UNKNOWN_JUMP = 1 << 30


@cache
def grammar(direction: Direction) -> Grammar:
    """The splitter's view of one direction's dictionary (derived from its rows)."""
    rows = DICTIONARIES[direction]
    unit = WORD_BITS
    for row in rows:
        unit = gcd(unit, row.word_width)
    length = np.zeros(256, np.int64)
    for row in rows:
        length[row.header] = row.word_width // unit
    per_word = WORD_BITS // unit
    if length[length > 0].min() < per_word:
        raise ValueError(f"{direction.name}: a message shorter than a word")
    step = length.astype(np.int32)
    step[_COMMA_HEADER:] = -1
    in_word = np.arange(per_word, dtype=np.int32)
    jump = np.where(step[:, None] > 0, step[:, None],
                    np.where(step[:, None] < 0, per_word - in_word[None, :], UNKNOWN_JUMP))
    return Grammar(unit, per_word, length, step, jump.astype(np.int32))


@dataclass(frozen=True)
class Split:
    """Messages found in a word buffer: start unit, header, value, and where to resume."""

    position: np.ndarray  # unit index of each message start
    header: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    resume: int           # unit index of the first bit not consumed (incomplete message)
    error: int | None     # unit index of an unknown header, decoding stopped there


def split_words(words: np.ndarray, direction: Direction, start: int = 0,
                block: int | None = None) -> Split:
    """Find every message start in `words` (beginning at unit `start` of word 0), vectorised.

    Message starts form a chain p -> next(p) (next = p + length, or the next word boundary if
    the bit at p is a comma). The chain is followed in pieces of `block` units (default
    CHAIN_BLOCK_UNITS) by pointer doubling: the 2**k starts found so far give the next 2**k
    through next applied 2**k times, so a piece takes about log2(its messages) numpy steps.
    Messages are read from the big-endian bytes through overlapping 64-bit views (no message
    is shorter than a word).
    """
    g = grammar(direction)
    words = np.ascontiguousarray(words, dtype=_U64)
    m = len(words) * g.per_word
    empty = np.zeros(0, np.int64)
    if m == 0 or start >= m:
        return Split(empty, empty, empty.astype(_U64), empty.astype(_U64), start, None)
    if start == 0:
        whole = _single_word_messages(words, g)
        if whole is not None:
            return whole
    unit_bytes = g.unit // 8
    # the wire bytes plus one word of zeros, so that a 64-bit view at any unit is in bounds
    stream = np.zeros(len(words) + 1, ">u8")
    stream[:-1] = words
    raw = stream.view(np.uint8)
    top = raw[0:m * unit_bytes:unit_bytes]  # first byte of every unit
    # positions as intp: numpy gathers through intp indices fastest (`take`, no casting)
    pos = np.arange(m, dtype=np.intp)
    # jump of (header byte, unit in word), from the flattened table
    place = top.astype(np.intp) * g.per_word
    place |= pos & (g.per_word - 1)
    nxt = pos + g.jump.ravel().take(place)
    starts = _chain(nxt, start, block or CHAIN_BLOCK_UNITS)
    kind = g.step[top[starts]]
    unknown = np.flatnonzero(kind == 0)
    error = int(starts[unknown[0]]) if unknown.size else None
    complete = (kind > 0) & (nxt[starts] <= m)
    resume = m
    if error is not None:
        resume = error
    elif starts.size and kind[-1] > 0 and not complete[-1]:
        resume = int(starts[-1])
    found = starts[complete]
    # every unit's following 64 bits, big-endian (overlapping views of the stream)
    view = np.ndarray((m,), ">u8", raw, 0, (unit_bytes,))
    extra = kind[complete] - g.per_word  # units before the message's last word
    lo = view.take(found + extra).astype(_U64)
    hi = np.zeros(len(found), _U64)
    wide = np.flatnonzero(extra)
    if wide.size:
        hi[wide] = view.take(found.take(wide)).astype(_U64) >> (
            WORD_BITS - g.unit * extra.take(wide)).astype(_U64)
    return Split(found, top.take(found).astype(np.int64), hi, lo, resume, error)


#: units of the chain followed at once by `split_words` (bounds the doubling's tables)
CHAIN_BLOCK_UNITS = 1 << 16


def _single_word_messages(words: np.ndarray, g: Grammar) -> Split | None:
    """Fast path: every word is exactly one one-word message (no comma, no wide message)."""
    header = (words >> _U64(WORD_BITS - HEADER_BITS)).astype(np.int64)
    if not (g.length.take(header) == g.per_word).all():
        return None
    position = np.arange(len(words), dtype=np.int64) * g.per_word
    return Split(position, header, np.zeros(len(words), _U64), words.copy(),
                 len(words) * g.per_word, None)


def _chain(nxt: np.ndarray, start: int, block: int) -> np.ndarray:
    """All chain positions below len(nxt) from `start` on, in order (nxt[p] > p)."""
    m = len(nxt)
    pieces = []
    entry = start
    while entry < m:
        end = min(entry + block, m)
        found = _chain_piece(nxt[entry:end] - entry) + entry
        pieces.append(found)
        entry = int(nxt[found[-1]])
    return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)


#: positions `_chain_piece` finds by pointer doubling before it steps in blocks of this many
CHAIN_DOUBLING_POSITIONS = 256


def _chain_piece(jump: np.ndarray) -> np.ndarray:
    """Chain positions from 0 within one piece (`jump`: next position of each position,
    relative to the piece; anything at or past its end leaves it), by pointer doubling up to
    CHAIN_DOUBLING_POSITIONS positions, then in blocks of that many: with the table at
    next^(block), each block is the table applied to the one before (one small gather instead
    of squaring the whole table again)."""
    n = len(jump)
    jump = np.append(np.minimum(jump, n), n)  # n: outside, where every chain stays
    found = np.zeros(1, jump.dtype)
    while found.size < CHAIN_DOUBLING_POSITIONS:  # found: the first 2**k positions
        found = np.concatenate([found, jump.take(found)])
        if found[-1] == n:
            return found[:np.searchsorted(found, n)].astype(np.int64)
        jump = jump.take(jump)  # next^(2**k)
    blocks = [found]
    while blocks[-1][-1] != n:
        blocks.append(jump.take(blocks[-1]))
    found = np.concatenate(blocks)
    return found[:np.searchsorted(found, n)].astype(np.int64)


def units_per_word(direction: Direction) -> int:
    """How many splitter units make one 64-bit word in this direction."""
    return grammar(direction).per_word
