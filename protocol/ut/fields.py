"""Vectorised field placement and extraction for whole arrays of messages of one instruction.

A message of up to 128 bits is held as two uint64 arrays (`hi`, `lo`) with value
`hi << 64 | lo`.  Shifts and widths come from `InstructionSpec.fields`, i.e. from the
construct declaration, never from a second table.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .constants import HEADER_BITS, WORD_BITS, WORD_MASK
from .dictionary import spec
from .enums import FromFPGA, ToFPGA
from .message import UTError

_U64 = np.uint64


class Wide(NamedTuple):
    """Messages as `hi << 64 | lo`, plus each message's width in bits."""

    hi: np.ndarray
    lo: np.ndarray
    width: np.ndarray


def _place(hi: np.ndarray, lo: np.ndarray, values: np.ndarray, shift: int, width: int) -> None:
    """OR `values` (of at most `width` bits) into bit position `shift` of (hi, lo), in place."""
    if shift >= WORD_BITS:
        hi |= values << _U64(shift - WORD_BITS)
        return
    lo |= values << _U64(shift)
    if shift + width > WORD_BITS:
        hi |= values >> _U64(WORD_BITS - shift)


def _take(hi: np.ndarray, lo: np.ndarray, shift: int, width: int) -> np.ndarray:
    """Bits [shift, shift + width) of (hi, lo) as uint64."""
    mask = _U64((1 << width) - 1)
    if shift >= WORD_BITS:
        return (hi >> _U64(shift - WORD_BITS)) & mask
    out = lo >> _U64(shift)
    if shift and shift + width > WORD_BITS:
        out |= hi << _U64(WORD_BITS - shift)
    return out & mask


def out_of_range(values: np.ndarray, width: int) -> bool:
    """Whether any of `values` lies outside 0 .. 2**width - 1 (for integers: whether any has a
    bit at or above `width`, a negative one its sign bits; one pass instead of min and max)."""
    if values.dtype.kind in "iu" and width < 8 * values.dtype.itemsize:
        return bool(np.bitwise_or.reduce(values >> width, axis=None))
    return bool(values.min() < 0 or int(values.max()) >> width)


def build(instruction: ToFPGA | FromFPGA, **values: np.ndarray | int) -> Wide:
    """N messages of one instruction from field arrays (broadcast); range-checked."""
    row = spec(instruction)
    if set(values) != set(row.fields):
        raise UTError(f"{row.name} takes fields {sorted(row.fields)}, got {sorted(values)}")
    arrays = {k: np.asarray(v) for k, v in values.items()}
    shapes = {a.shape for a in arrays.values()} - {(), (1,)}  # (one value for all messages)
    if not shapes:
        n = 1
    elif len(shapes) == 1 and len(shape := next(iter(shapes))) == 1:
        n = shape[0]
    else:
        n = int(np.broadcast_shapes(*shapes)[0])
    hi = np.zeros(n, _U64)
    lo = np.zeros(n, _U64)
    common = row.header << (row.word_width - HEADER_BITS)  # bits every message shares
    for name, (shift, width) in row.fields.items():
        raw = arrays[name]
        if raw.size and out_of_range(raw, width):
            raise UTError(f"{row.name}.{name}: value out of range 0..{(1 << width) - 1}")
        if raw.size == 1:  # one value for all messages
            common |= int(raw.reshape(-1)[0]) << shift
        elif raw.size:
            _place(hi, lo, raw.astype(_U64) if raw.shape == (n,) else
                   np.broadcast_to(raw.astype(_U64), (n,)), shift, width)
    lo |= _U64(common & WORD_MASK)
    if common >> WORD_BITS:
        hi |= _U64(common >> WORD_BITS)
    return Wide(hi, lo, np.full(n, row.word_width, np.int64))


def extract(instruction: ToFPGA | FromFPGA, hi: np.ndarray, lo: np.ndarray
            ) -> dict[str, np.ndarray]:
    """All payload fields of N messages of one instruction, as uint64 arrays."""
    row = spec(instruction)
    return {name: _take(hi, lo, shift, width) for name, (shift, width) in row.fields.items()}


#: (direction enum, instruction) -> (name, shift, mask) per payload field (the two enums share
#: integer values, so the enum type is part of the key)
_SCALAR_FIELDS = {(enum, instr): tuple((name, shift, (1 << width) - 1)
                                       for name, (shift, width) in spec(instr).fields.items())
                  for enum in (ToFPGA, FromFPGA) for instr in enum}


#: the header bits of every 64-bit instruction, placed in the word (key as `_SCALAR_FIELDS`)
_HEADER_WORDS = {(enum, instr): spec(instr).header << (WORD_BITS - HEADER_BITS)
                 for enum in (ToFPGA, FromFPGA) for instr in enum
                 if spec(instr).word_width == WORD_BITS}


def word_fields(instruction: ToFPGA | FromFPGA, word: int) -> dict[str, int]:
    """Payload fields of one message of at most 64 bits held as an int (the scalar path of
    `extract`, for executors that handle one instruction at a time)."""
    fields = _SCALAR_FIELDS[type(instruction), instruction]
    return {name: (word >> shift) & mask for name, shift, mask in fields}


def single_word(instruction: ToFPGA | FromFPGA, **values: int) -> int:
    """One 64-bit message as an int (the scalar path of `build`; missing fields are 0, values
    are masked to their widths)."""
    key = type(instruction), instruction
    out = _HEADER_WORDS.get(key)
    if out is None:
        row = spec(instruction)
        raise UTError(f"{row.name} is {row.word_width} bits wide, not one {WORD_BITS}-bit word")
    for name, shift, mask in _SCALAR_FIELDS[key]:
        if name in values:
            out |= (int(values[name]) & mask) << shift
    return out
