"""Scalar twin of the vectorised response decoder, for short batches.

A typical control program is answered by a handful of words (one omnibus data message and
the halt echo); numpy's per-call overhead then costs far more than the work, so batches up to
`responses.SCALAR_MAX_WORDS` words are split and decoded here with plain ints. Message
lengths, field positions, record layouts and the time rules all come from the same
declarations as the vector path (`pack.grammar`, `dictionary.spec`, `response_layout`,
`chiptime`); tests/conformance checks that both paths give identical arrays.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from .chiptime import event_time_int, next_time
from .constants import HEADER_BITS
from .dictionary import spec
from .enums import Direction, FromFPGA
from .message import UTError
from .pack import grammar
from .response_layout import EVENTS, RECORDS, event_dtype, record_dtype


class _Table:
    """Per-header decoding plan of the from-FPGA dictionary: length in units (-1: comma,
    0: unknown header), where each header's results go, and its fields as (shift, mask)."""

    def __init__(self) -> None:
        g = grammar(Direction.FROM_FPGA)
        self.unit = g.unit
        self.per_word = g.per_word
        self.step = g.step.tolist()
        self.kind: dict[int, tuple[str, int]] = {}   # header -> (output name, slots; 0 record)
        self.fields: dict[int, tuple[tuple[int, int], ...]] = {}
        for name, instruction in RECORDS.items():
            self.kind[instruction] = (name, 0)
            self.fields[instruction] = _fields(instruction)
        for name, packs in EVENTS.items():
            for slots, instruction in enumerate(packs, start=1):
                self.kind[instruction] = (name, slots)
                self.fields[instruction] = _fields(instruction)
        self.value = {int(i): _fields(i)[0] for i in (FromFPGA.SYSTIME, FromFPGA.SYSDELTA)}


def _fields(instruction: FromFPGA) -> tuple[tuple[int, int], ...]:
    """(shift, mask) of every payload field, in declaration order."""
    return tuple((shift, (1 << width) - 1) for shift, width in spec(instruction).fields.values())


@cache
def _table() -> _Table:
    return _Table()


@cache
def _dtypes() -> dict[str, np.dtype]:
    """Output name -> dtype of its array."""
    return {**{name: record_dtype(i) for name, i in RECORDS.items()},
            **{name: event_dtype(packs) for name, packs in EVENTS.items()}}


@cache
def _empty(name: str) -> np.ndarray:
    """The shared empty array of one output (most batches carry few kinds of message; an
    empty array holds nothing that a caller could change)."""
    return np.zeros(0, _dtypes()[name])


def decode_scalar(words: np.ndarray, offset: int, time: int
                  ) -> tuple[dict[str, np.ndarray], np.ndarray, int, int]:
    """Decode the complete messages of `words` starting at unit `offset` of word 0, with the
    decoder's time `time` before the first. Returns (arrays by Responses field name, headers
    in arrival order as uint8, the unit index where decoding must resume, the time after the
    last message). An unknown header raises `UTError` naming its unit index."""
    t = _table()
    unit, step = t.unit, t.step
    m = len(words) * t.per_word
    stream = 0
    for word in words.tolist():  # the batch as one big-endian number
        stream = (stream << 64) | word
    top_shift = unit - HEADER_BITS
    rows: dict[str, list[tuple[int, ...]]] = {name: [] for name in (*RECORDS, *EVENTS)}
    headers: list[int] = []
    pos = offset
    while pos < m:
        header = (stream >> ((m - pos - 1) * unit + top_shift)) & 0xFF
        length = step[header]
        if length < 0:  # comma: the rest of the word is padding
            pos = (pos // t.per_word + 1) * t.per_word
            continue
        if length == 0:
            raise UTError(f"unknown FROM_FPGA header at bit {pos * unit} of the batch")
        if pos + length > m:
            break
        bits = (stream >> ((m - pos - length) * unit)) & ((1 << (length * unit)) - 1)
        value = t.value.get(header)
        time = next_time(time, header, (bits >> value[0]) & value[1] if value else 0)
        headers.append(header)
        pos += length
        kind = t.kind.get(header)
        if kind is None:
            continue
        name, slots = kind
        values = [(bits >> shift) & mask for shift, mask in t.fields[header]]
        if not slots:
            rows[name].append((time, *values))
            continue
        per = len(values) // slots
        for slot in range(slots):
            one = values[slot * per:(slot + 1) * per]  # timestamp first, then the rest
            rows[name].append((event_time_int(time, one[0]), time, *one))
    dtypes = _dtypes()
    out = {name: np.array(found, dtypes[name]) if found else _empty(name)
           for name, found in rows.items()}
    return out, np.array(headers, np.uint8), min(pos, m), time
