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
    if np.all(msgs.width == WORD_BITS):
        return msgs.lo.astype(_U64, copy=True)
    if np.any(msgs.width % 8) or np.any(msgs.width > 2 * WORD_BITS):
        raise UTError("bulk packing needs byte-multiple widths of at most 128 bits")
    n = len(msgs.lo)
    table = np.empty((n, 16), np.uint8)
    table[:, :8] = msgs.hi.astype(">u8").view(np.uint8).reshape(n, 8)
    table[:, 8:] = msgs.lo.astype(">u8").view(np.uint8).reshape(n, 8)
    keep = np.arange(16) >= (16 - msgs.width // 8)[:, None]
    stream = table[keep]
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
    max_step: int        # longest possible jump between message starts, in units
    lengths: tuple[int, ...]  # distinct message lengths in units


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
    lengths = tuple(sorted({row.word_width // unit for row in rows}))
    step = length.astype(np.int32)
    step[_COMMA_HEADER:] = -1
    return Grammar(unit, per_word, length, step, max(int(length.max()), per_word), lengths)


@dataclass(frozen=True)
class Split:
    """Messages found in a word buffer: start unit, header, value, and where to resume."""

    position: np.ndarray  # unit index of each message start
    header: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    resume: int           # unit index of the first bit not consumed (incomplete message)
    error: int | None     # unit index of an unknown header, decoding stopped there


def to_units(words: np.ndarray, direction: Direction) -> np.ndarray:
    """uint64 words -> native unsigned array of units (16 or 64 bits) in wire order."""
    unit = grammar(direction).unit
    big = np.ascontiguousarray(words, dtype=_U64).astype(">u8")
    return big.view(f">u{unit // 8}").astype(f"u{unit // 8}")


def split_words(words: np.ndarray, direction: Direction, start: int = 0,
                block: int | None = None) -> Split:
    """Find every message start in `words` (beginning at unit `start` of word 0), vectorised.

    Message starts form a chain p -> next(p) (next = p + length, or the next word boundary if
    the bit at p is a comma).  The chain is followed block-wise: first every block is walked
    from each possible entry offset at once, then the true entry offsets are chained
    block-to-block (a short Python loop), then each block is walked once more to collect the
    starts.
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
    units = to_units(words, direction)
    top = (units >> (g.unit - HEADER_BITS)).astype(np.uint8)
    step = g.step[top]  # length in units; -1 comma; 0 unknown header
    itype = np.int32 if m < 2**30 else np.int64
    pos = np.arange(m, dtype=itype)
    sentinel = m + g.max_step + 1
    boundary = (pos | itype(g.per_word - 1)) + itype(1)
    nxt = np.where(step > 0, pos + step, np.where(step < 0, boundary, itype(sentinel)))
    block = block or max(64, int(np.sqrt(m)))
    starts = _collect(nxt, _chain_blocks(nxt, start, g.max_step, block), block)
    kind = step[starts]
    unknown = np.flatnonzero(kind == 0)
    error = int(starts[unknown[0]]) if unknown.size else None
    complete = (kind > 0) & (nxt[starts] <= m)
    resume = m
    if error is not None:
        resume = error
    elif starts.size and kind[-1] > 0 and not complete[-1]:
        resume = int(starts[-1])
    found = starts[complete].astype(np.int64)
    hi, lo = _gather(units, found, kind[complete], g)
    top = top[found].astype(np.int64)
    return Split(found, top, hi, lo, resume, error)


def _single_word_messages(words: np.ndarray, g: Grammar) -> Split | None:
    """Fast path: every word is exactly one one-word message (no comma, no wide message)."""
    header = (words >> _U64(WORD_BITS - HEADER_BITS)).astype(np.int64)
    if not np.all(g.length[header] == g.per_word):
        return None
    position = np.arange(len(words), dtype=np.int64) * g.per_word
    return Split(position, header, np.zeros(len(words), _U64), words.copy(),
                 len(words) * g.per_word, None)


def _chain_blocks(nxt: np.ndarray, start: int, max_step: int, block: int) -> np.ndarray:
    """Entry position of the chain into every block (-1 where the chain never enters)."""
    m = len(nxt)
    nblocks = -(-m // block)
    begin = np.arange(nblocks, dtype=np.int64) * block
    end = np.minimum(begin + block, m)
    cur = (begin[:, None] + np.arange(max_step)[None, :]).ravel()
    stop = np.repeat(end, max_step)
    cur = _walk(nxt, cur, stop)
    exit_offset = (cur - stop).reshape(nblocks, max_step)
    entries = np.full(nblocks, -1, np.int64)
    first = start // block
    offset = start - first * block
    for b in range(first, nblocks):
        entries[b] = begin[b] + offset
        offset = int(exit_offset[b, offset])
        if offset >= max_step:
            break
    return entries


def _walk(nxt: np.ndarray, cur: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Advance every walker along the chain until it reaches its stop position."""
    last = len(nxt) - 1
    active = np.flatnonzero(cur < stop)
    while active.size:
        cur[active] = nxt[np.minimum(cur[active], last)]
        active = active[cur[active] < stop[active]]
    return cur


def _collect(nxt: np.ndarray, entries: np.ndarray, block: int) -> np.ndarray:
    """All chain positions, in order, walking each entered block once."""
    m = len(nxt)
    live = np.flatnonzero(entries >= 0)
    cur = entries[live]
    block_end = np.minimum((live + 1) * block, m)
    visited = []
    active = cur < block_end
    while np.any(active):
        visited.append(np.where(active, cur, -1))
        cur = np.where(active, nxt[np.minimum(cur, m - 1)], cur)
        active = cur < block_end
    if not visited:
        return np.zeros(0, np.int64)
    table = np.stack(visited, axis=1).ravel()
    return table[table >= 0]


def _gather(units: np.ndarray, starts: np.ndarray, length: np.ndarray, g: Grammar
            ) -> tuple[np.ndarray, np.ndarray]:
    """Assemble each message's units into (hi, lo)."""
    hi = np.zeros(len(starts), _U64)
    lo = np.zeros(len(starts), _U64)
    for n_units in g.lengths:
        sel = length == n_units
        idx = starts[sel]
        n_lo = min(int(n_units), g.per_word)
        n_hi = int(n_units) - n_lo
        hi[sel] = _combine(units, idx, n_hi, g.unit)
        lo[sel] = _combine(units, idx + n_hi, n_lo, g.unit)
    return hi, lo


def _combine(units: np.ndarray, idx: np.ndarray, count: int, unit: int) -> np.ndarray:
    """Big-endian concatenation of `count` units starting at each index."""
    out = np.zeros(len(idx), _U64)
    for j in range(count):
        if j:
            out <<= _U64(unit)
        out |= units[idx + j]
    return out


def units_per_word(direction: Direction) -> int:
    """How many splitter units make one 64-bit word in this direction."""
    return grammar(direction).per_word
