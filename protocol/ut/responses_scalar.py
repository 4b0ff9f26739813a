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
from .response_layout import EVENTS, RECORDS, empty_arrays, output_dtypes, time_value_fields


class _Table:
    """Per-header decoding plan of the from-FPGA dictionary: unit size, units per word, the
    output arrays of a batch without messages and their dtypes, and per header (length in
    units, (shift, mask) of its time `value` field or None, how far any other message
    advances the time (`next_time`'s step, taken from it), output name or None, event slots
    (0 for a record), (shift, mask) of every payload field); the length is -1 for a comma
    and 0 for an unknown header."""

    def __init__(self) -> None:
        g = grammar(Direction.FROM_FPGA)
        self.unit = g.unit
        self.per_word = g.per_word
        self.empty = empty_arrays()
        self.dtypes = output_dtypes()
        outputs: dict[int, tuple[str, int]] = {}   # header -> (output name, slots)
        for name, instruction in RECORDS.items():
            outputs[instruction] = (name, 0)
        for name, packs in EVENTS.items():
            for slots, instruction in enumerate(packs, start=1):
                outputs[instruction] = (name, slots)
        timed = time_value_fields()
        self.plan: list[tuple[int, tuple[int, int] | None, int, str | None, int,
                              tuple[tuple[int, int], ...]]] = []
        for header, length in enumerate(g.step.tolist()):
            name, slots = outputs.get(header, (None, 0))
            known = length > 0
            self.plan.append((length, timed.get(header), next_time(0, header, 0), name, slots,
                              _fields(FromFPGA(header)) if known and name else ()))


def _fields(instruction: FromFPGA) -> tuple[tuple[int, int], ...]:
    """(shift, mask) of every payload field, in declaration order."""
    return tuple((shift, (1 << width) - 1) for shift, width in spec(instruction).fields.values())


@cache
def _table() -> _Table:
    return _Table()


def decode_scalar(words: np.ndarray, offset: int, time: int
                  ) -> tuple[dict[str, np.ndarray], np.ndarray, int, int]:
    """Decode the complete messages of `words` starting at unit `offset` of word 0, with the
    decoder's time `time` before the first. Returns (arrays by Responses field name, headers
    in arrival order as uint8, the unit index where decoding must resume, the time after the
    last message). An unknown header raises `UTError` naming its unit index."""
    t = _table()
    unit, plan, per_word = t.unit, t.plan, t.per_word
    m = len(words) * per_word
    stream = 0
    for word in words.tolist():  # the batch as one big-endian number
        stream = (stream << 64) | word
    top_shift = unit - HEADER_BITS
    rows: dict[str, list[tuple[int, ...]]] = {}
    headers: list[int] = []
    pos = offset
    while pos < m:
        header = (stream >> ((m - pos - 1) * unit + top_shift)) & 0xFF
        length, value, advance, name, slots, fields = plan[header]
        if length < 0:  # comma: the rest of the word is padding
            pos = (pos // per_word + 1) * per_word
            continue
        if length == 0:
            raise UTError(f"unknown FROM_FPGA header at bit {pos * unit} of the batch")
        if pos + length > m:
            break
        bits = (stream >> ((m - pos - length) * unit)) & ((1 << (length * unit)) - 1)
        time = next_time(time, header, (bits >> value[0]) & value[1]) if value else time + advance
        headers.append(header)
        pos += length
        if name is None:
            continue
        found = rows.get(name)
        if found is None:
            found = rows[name] = []
        values = [(bits >> shift) & mask for shift, mask in fields]
        if not slots:
            found.append((time, *values))
            continue
        per = len(values) // slots
        for slot in range(slots):
            one = values[slot * per:(slot + 1) * per]  # timestamp first, then the rest
            found.append((event_time_int(time, one[0]), time, *one))
    out = t.empty.copy()
    dtypes = t.dtypes
    for name, found in rows.items():
        out[name] = np.array(found, dtypes[name])
    return out, np.array(headers, np.uint8), min(pos, m), time
