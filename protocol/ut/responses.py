"""Bulk decoding of FPGA response streams into numpy structured arrays.

Spikes and MADC samples are unpacked from their packs, in arrival order, with absolute
times from `chiptime`; every other response becomes one record stamped with the FPGA time
at which it arrived.  Systime/Sysdelta only drive the time.  `headers` keeps the header of
every message in arrival order, so records of different kinds can be interleaved again (e.g.
omnibus data and timeout notifications answering one sequence of accesses).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .chiptime import event_time, message_times
from .enums import Direction, FromFPGA
from .fields import extract
from .message import UTError
from .pack import split_words, units_per_word
from .response_layout import EVENTS, RECORDS, TIME_MESSAGES, event_dtype, record_dtype
from .responses_scalar import decode_scalar

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
        value = np.zeros(len(header), np.int64)
        for instruction in TIME_MESSAGES:
            sel = header == instruction
            value[sel] = extract(instruction, split.hi[sel], split.lo[sel])["value"]
        times, self.time = message_times(header, value, self.time)
        out = {name: _records(instr, header, split.hi, split.lo, times)
               for name, instr in RECORDS.items()}
        out.update({name: _events(packs, header, split.hi, split.lo, times)
                    for name, packs in EVENTS.items()})
        return Responses(**out, headers=header.astype(np.uint8))

    def _hold(self, buf: np.ndarray, resume: int, per_word: int) -> None:
        """Keep the words from unit `resume` on (an incomplete message) for the next batch."""
        first = resume // per_word
        self._tail = buf[first:].copy() if first < len(buf) else _NO_WORDS
        self._offset = resume - first * per_word


def _records(instruction: FromFPGA, header: np.ndarray, hi: np.ndarray, lo: np.ndarray,
             times: np.ndarray) -> np.ndarray:
    sel = header == instruction
    count = int(np.count_nonzero(sel))
    out = np.zeros(count, record_dtype(instruction))
    if not count:
        return out
    out["fpga_time"] = times[sel]
    for name, column in extract(instruction, hi[sel], lo[sel]).items():
        out[name] = column
    return out


def _events(packs: tuple[FromFPGA, ...], header: np.ndarray, hi: np.ndarray, lo: np.ndarray,
            times: np.ndarray) -> np.ndarray:
    dtype = event_dtype(packs)
    names = [n for n in dtype.names if n not in ("chip_time", "fpga_time")]
    order, columns = [], {n: [] for n in names}
    for count, instruction in enumerate(packs, start=1):
        idx = np.flatnonzero(header == instruction)
        if not idx.size:
            continue
        values = extract(instruction, hi[idx], lo[idx])
        for slot in range(count):
            order.append(idx * len(packs) + slot)
            for n in names:
                columns[n].append(values[f"{n}_{slot}"])
    if not order:
        return np.zeros(0, dtype)
    key = np.concatenate(order)
    sort = np.argsort(key, kind="stable")
    out = np.zeros(len(key), dtype)
    for n in names:
        out[n] = np.concatenate(columns[n])[sort]
    arrival = times[key[sort] // len(packs)]
    out["fpga_time"] = arrival
    out["chip_time"] = event_time(arrival, out["timestamp"])
    return out
