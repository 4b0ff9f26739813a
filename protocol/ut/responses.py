"""Bulk decoding of FPGA response streams into numpy structured arrays.

Spikes and MADC samples are unpacked from their packs, in arrival order, with absolute
times from `chiptime`; every other response becomes one record stamped with the FPGA time
at which it arrived.  Systime/Sysdelta only drive the time.  `headers` keeps the header of
every message in arrival order, so records of different kinds can be interleaved again (e.g.
omnibus data and timeout notifications answering one sequence of accesses).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache

import numpy as np

from .chiptime import event_time, message_times
from .constants import MAX_PACK, WORD_BITS
from .dictionary import spec
from .enums import Direction, FromFPGA
from .fields import extract
from .message import UTError
from .pack import split_words, units_per_word
from .response_layout import (
    EVENTS,
    RECORDS,
    empty_arrays,
    event_dtype,
    record_dtype,
    time_value_fields,
)
from .responses_scalar import decode_scalar

_U64 = np.uint64
#: the decoder's tail when nothing is held back (shared: it is only read)
_NO_WORDS = np.zeros(0, np.uint64)
#: batches of at most this many words (with a held-back tail) are decoded by the scalar twin
#: (`responses_scalar`): below it numpy's per-call overhead outweighs the work
SCALAR_MAX_WORDS = 64


@dataclass
class Responses:
    """Everything decoded from one batch of response words."""

    spikes: np.ndarray
    madc: np.ndarray
    jtag: np.ndarray
    omnibus: np.ndarray
    loopback: np.ndarray
    highspeed_link: np.ndarray
    timeout: np.ndarray
    headers: np.ndarray  # header (FromFPGA value) of every message, in arrival order

    @classmethod
    def concatenate(cls, parts: list[Responses]) -> Responses:
        """Join batches in order."""
        if len(parts) == 1:
            return parts[0]
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})


class ResponseDecoder:
    """Streaming FPGA-response decoder: words in, structured arrays out.

    Keeps an incomplete trailing message and the FPGA time between calls.  An unknown
    header raises `UTError`; the decoder is then reset (time kept).
    """

    def __init__(self, start_time: int = 0, scalar_max_words: int = SCALAR_MAX_WORDS) -> None:
        self.time = start_time
        self.scalar_max_words = scalar_max_words
        self._tail = _NO_WORDS
        self._offset = 0

    @property
    def pending_words(self) -> int:
        """Words held back because they end inside a message."""
        return len(self._tail)

    def feed(self, words: np.ndarray) -> Responses:
        """Decode all complete messages in the stream so far."""
        words = np.asarray(words, np.uint64)
        buf = np.concatenate([self._tail, words]) if len(self._tail) else words
        per_word = units_per_word(Direction.FROM_FPGA)
        if len(buf) <= self.scalar_max_words:
            try:
                out, headers, resume, self.time = decode_scalar(buf, self._offset, self.time)
            except UTError:
                self._tail, self._offset = _NO_WORDS, 0
                raise
            self._hold(buf, resume, per_word)
            return Responses(**out, headers=headers)
        split = split_words(buf, Direction.FROM_FPGA, start=self._offset)
        if split.error is not None:
            self._tail, self._offset = _NO_WORDS, 0
            raise UTError(f"unknown FROM_FPGA header at bit {split.error * 16} of the batch")
        self._hold(buf, split.resume, per_word)
        header = split.header
        counts = np.bincount(header, minlength=len(FromFPGA)).tolist()
        shift, mask = _time_value_plan()
        # the `value` of the time messages (0 for the others)
        value = ((split.lo >> shift.take(header)) & mask.take(header)).astype(np.int64)
        times, self.time = message_times(header, value, self.time)
        empty = empty_arrays()
        out = {name: _records(instr, header, split.hi, split.lo, times)
               if counts[instr] else empty[name] for name, instr in RECORDS.items()}
        out.update({name: _events(name, header, split.hi, split.lo, times)
                    if any(counts[i] for i in packs) else empty[name]
                    for name, packs in EVENTS.items()})
        return Responses(**out, headers=header.astype(np.uint8))

    def _hold(self, buf: np.ndarray, resume: int, per_word: int) -> None:
        """Keep the words from unit `resume` on (an incomplete message) for the next batch."""
        first = resume // per_word
        self._tail = buf[first:].copy() if first < len(buf) else _NO_WORDS
        self._offset = resume - first * per_word


@cache
def _time_value_plan() -> tuple[np.ndarray, np.ndarray]:
    """Per header byte, the shift and mask of the `value` field of the time messages (a mask
    of 0 for every other header), as arrays to gather by header."""
    shift = np.zeros(256, _U64)
    mask = np.zeros(256, _U64)
    for instruction, (at, field_mask) in time_value_fields().items():
        if at + field_mask.bit_length() > WORD_BITS:
            raise ValueError(f"{instruction.name}.value does not lie in the low word")
        shift[instruction], mask[instruction] = at, field_mask
    return shift, mask


def _records(instruction: FromFPGA, header: np.ndarray, hi: np.ndarray, lo: np.ndarray,
             times: np.ndarray) -> np.ndarray:
    """One record per message of `instruction`, in arrival order."""
    sel = np.flatnonzero(header == instruction)
    out = np.zeros(sel.size, record_dtype(instruction))
    out["fpga_time"] = times[sel]
    for name, column in extract(instruction, hi[sel], lo[sel]).items():
        out[name] = column
    return out


@dataclass(frozen=True)
class _EventPlan:
    """Where one kind's events sit in its pack messages, per (header, slot) cell (header *
    MAX_PACK + slot): events per message by header, and per event field whether it lies in
    the high or low 64 bits of the message, its shift there and its mask."""

    slots: np.ndarray
    fields: tuple[tuple[str, np.ndarray, np.ndarray, int], ...]


@cache
def _event_plan(packs: tuple[FromFPGA, ...]) -> _EventPlan:
    """The plan of one kind's packs, from their declared fields."""
    slots = np.zeros(len(FromFPGA), np.int64)
    names = [n for n in event_dtype(packs).names if n not in ("chip_time", "fpga_time")]
    high = {n: np.zeros(len(FromFPGA) * MAX_PACK, bool) for n in names}
    shift = {n: np.zeros(len(FromFPGA) * MAX_PACK, np.uint64) for n in names}
    mask = {}
    for count, instruction in enumerate(packs, start=1):
        slots[instruction] = count
        for slot in range(count):
            cell = instruction * MAX_PACK + slot
            for n in names:
                at, width = spec(instruction).fields[f"{n}_{slot}"]
                if at < WORD_BITS < at + width:
                    raise ValueError(f"{instruction.name}.{n}_{slot} straddles two words")
                high[n][cell] = at >= WORD_BITS
                shift[n][cell] = at % WORD_BITS
                mask[n] = (1 << width) - 1
    return _EventPlan(slots, tuple((n, high[n], shift[n], mask[n]) for n in names))


def _events(name: str, header: np.ndarray, hi: np.ndarray, lo: np.ndarray, times: np.ndarray
            ) -> np.ndarray:
    """The events of one kind (an `EVENTS` name) in arrival order (message by message, slot
    by slot); the batch holds at least one of its packs."""
    packs = EVENTS[name]
    plan = _event_plan(packs)
    per_message = plan.slots.take(header)  # (take: numpy's fastest gather)
    message = np.flatnonzero(per_message)
    count = per_message.take(message)
    total = int(count.sum())
    first = np.cumsum(count) - count
    message = np.repeat(message, count)
    cell = header.take(message) * MAX_PACK + (np.arange(total) - np.repeat(first, count))
    msg_hi, msg_lo = hi.take(message), lo.take(message)
    out = np.empty(total, event_dtype(packs))
    for field, high, shift, mask in plan.fields:
        in_high = high.take(cell)
        word = np.where(in_high, msg_hi, msg_lo) if in_high.any() else msg_lo
        out[field] = (word >> shift.take(cell)) & _U64(mask)
    arrival = times.take(message)
    out["fpga_time"] = arrival
    out["chip_time"] = event_time(arrival, out["timestamp"])
    return out
