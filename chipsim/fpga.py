"""The emulated FPGA: executes playback programs (to-FPGA UT words) against a `Chip` and
produces the from-FPGA UT words a real FPGA would stream back (bss2-facts §5.2, §5.3).

Execution is in emulated time. The FPGA keeps a 43-bit systime (8 ns ticks) and the program
timer (systime minus the systime of the last TIMER_SETUP). Only WAIT_UNTIL and the polling
block (POLLING_OMNIBUS_BLOCK, `protocol.polling`) advance time, and they do not sleep; every
other instruction takes no time. The chip is run lazily: spikes injected by spike packs are
collected with their systime, and the chip is run (one `Chip.run` call) for the time elapsed
since it last ran whenever it must be observed or configured (an omnibus access, a chip
reset, a halt). Neuron state persists across runs, so a program with no observation point
between two times runs the chip in a single piece.

Responses, in program order:

* omnibus read -> OMNIBUS_DATA; an access to an address nobody answers (unknown address,
  read-only or write-only block, reserved bits set) -> TIMEOUT_NOTIFICATION with the word
  address in `value`, and the program goes on (a failed read gets no data response);
* JTAG_DATA with keep_response -> JTAG_DATA (IDCODE: the chip's HICANN-X v3 ID);
* LOOPBACK -> LOOPBACK echo; a halt ends the program (see `Executor.execute`);
* chip spikes routed to the FPGA and MADC samples -> SPIKE_PACK / MADC_SAMPLE_PACK messages
  with 8-bit chip timestamps, preceded where needed by SYSTIME / SYSDELTA so that the host
  decoder (fisch's rule: +1 tick per message, `protocol.ut.chiptime`) rebuilds each event's
  exact systime. Events are packed at most 3 per message and never across a 128-tick window;
* a word that is not a valid to-FPGA message (unknown header, data without an address, a
  write address not followed by data) -> HIGHSPEED_LINK_NOTIFICATION with `decode_error` set
  (bss2emu's choice: the real FPGA has no per-program error message).

The response stream of every program starts with the decoder time at 0: the FPGA resets its
model of the host decoder's time after each halt.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from bss2emu.protocol import event_ring as er
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import polling
from bss2emu.protocol.ut import FromFPGA, JtagIR, LoopbackKind, ToFPGA, pack_words, spec
from bss2emu.protocol.ut.bulk import grouped_event_packs, pack_groups
from bss2emu.protocol.ut.constants import FPGA_TICKS_PER_US, FPGA_TIME_MASK, HEADER_BITS, WORD_BITS
from bss2emu.protocol.ut.enums import SPIKE_PACKS_TO_FPGA
from bss2emu.protocol.ut.fields import Wide, build, extract, single_word, word_fields

from ._core import ffi, lib
from .chip import Chip
from .errors import ChipError, OmnibusError
from .events import input_events
from .geometry import CHIP_TICKS_PER_FPGA_TICK, fpga_ticks

log = logging.getLogger("bss2emu.fpga")

_U64 = np.uint64
_WORD32 = 0xFFFF_FFFF
#: events of one pack must lie in one window of this many FPGA ticks (7 timestamp bits)
_WINDOW = 128
_SYSDELTA_MAX = (1 << spec(FromFPGA.SYSDELTA).fields["value"][1]) - 1
_COMMA = 1 << (HEADER_BITS - 1)
#: batches of at most this many words skip the search for runs of writes and execute word by
#: word (the search's numpy calls cost more than the words; the outcome is the same)
SHORT_BATCH_WORDS = 16
#: runs of timed spikes at least this long are executed at once (Executor._timed_run)
TIMED_RUN_WORDS = 16
#: header byte -> whether the word belongs to such a run (WAIT_UNTIL or a spike pack)
_IS_TIMED = np.isin(np.arange(1 << HEADER_BITS),
                    [ToFPGA.WAIT_UNTIL, *SPIKE_PACKS_TO_FPGA]).view(np.int8)
#: queued full-word writes are applied at the latest when this many have accumulated
MAX_QUEUED_WRITES = 1 << 18
#: longest single chip run while the MADC samples (1 ms: ~29,400 samples per channel)
MADC_MAX_RUN_TICKS = 125_000
#: chip runs are cut into slices of emulated time: between two the executor hands out the
#: responses so far, checks its limits and whether to stop, so memory and reaction time stay
#: bounded. 40 ms, or 1 ms while the chip is expensive to emulate (`Chip.costly`); the choice
#: depends only on the configuration, so results never depend on the machine
SLICE_TICKS = (125_000, 5_000_000)  # costly, normal
TICKS_PER_MS = 1000 * FPGA_TICKS_PER_US


@dataclass(frozen=True)
class Limits:
    """What one program may ask of the emulated FPGA (docs/protocol.md §4): emulated time from
    its start, the size of its response stream, and the wall time it may take to emulate. A
    program over a limit is abandoned."""

    program_ms: float = 1000.0
    response_mib: float = 256.0
    wall_s: float = 120.0

    @property
    def program_ticks(self) -> int:
        return int(self.program_ms * TICKS_PER_MS)

    @property
    def response_words(self) -> int:
        return int(self.response_mib * (1 << 20) // 8)


class ProgramLimit(Exception):
    """A program went over one of its `Limits`; the message says which."""


class ProgramCancelled(Exception):
    """The program's host went away (or the server stops): the rest is not run."""
_ADDRESS_FIELDS = spec(ToFPGA.OMNIBUS_ADDRESS).fields
#: bits 36..32 of an omnibus address word for a write with all byte enables
_WRITE_ALL = 0xF << (_ADDRESS_FIELDS["byte_enables"][0] - 32)
assert _ADDRESS_FIELDS["is_read"] == (36, 1) and _ADDRESS_FIELDS["byte_enables"] == (32, 4)
#: where the executor's most frequent words keep their fields (the address and the data are
#: the low 32 bits, asserted below)
_IS_READ_SHIFT = _ADDRESS_FIELDS["is_read"][0]
_ENABLES_SHIFT = _ADDRESS_FIELDS["byte_enables"][0]
_LOOPBACK_SHIFT, _LOOPBACK_WIDTH = spec(ToFPGA.LOOPBACK).fields["value"]
_LOOPBACK_MASK = (1 << _LOOPBACK_WIDTH) - 1




#: high 32 bits of the two words of a full-word omnibus write (address and data; the low 32
#: bits are the address and the data word)
_WRITE_HIGH = single_word(ToFPGA.OMNIBUS_ADDRESS, is_read=0, byte_enables=0xF) >> 32
_DATA_HIGH = single_word(ToFPGA.OMNIBUS_DATA) >> 32
assert _ADDRESS_FIELDS["address"] == (0, 32) and spec(ToFPGA.OMNIBUS_DATA).fields == {
    "value": (0, 32)} and spec(FromFPGA.OMNIBUS_DATA).fields == {"value": (0, 32)}
#: an OMNIBUS_DATA response without its value (the value is its low 32 bits)
_DATA_RESPONSE = single_word(FromFPGA.OMNIBUS_DATA)


def _write_halves(words: np.ndarray) -> np.ndarray:
    """An even number of words as rows of their 32-bit halves (a view): address word low and
    high, data word low and high, one row per would-be write."""
    return words.astype("<u8", copy=False).view(np.uint32).reshape(-1, 4)


#: the high halves of a full-word write's address and data words, in place in the words
_PAIR_HIGHS = np.array([_WRITE_HIGH << 32, _DATA_HIGH << 32], _U64)
_HIGH_HALVES = _U64(0xFFFF_FFFF_0000_0000)
#: `_PAIR_HIGHS` repeated: the words of this many writes are compared at once (256 KiB, what
#: the device server feeds at most after a long receive)
_PATTERN = np.tile(_PAIR_HIGHS, 1 << 14)


def _leading_write_pairs(words: np.ndarray) -> int:
    """How many full-word omnibus writes (address, data) the words start with: the words'
    high halves against the pattern of such writes in contiguous compares, no search (the
    common bulk-configuration case; 21 against 28 us for 32768 words with strided compares
    of the 32-bit halves)."""
    n = len(words) // 2 * 2
    step = len(_PATTERN)
    for start in range(0, n, step):
        chunk = words[start:min(start + step, n)]
        same = (chunk & _HIGH_HALVES) == _PATTERN[:len(chunk)]
        if not same.all():
            return start // 2 + int(np.argmin(same.reshape(-1, 2).all(axis=1)))
    return n // 2


#: the notification answering a word that is not a valid to-FPGA message (bss2emu choice)
DECODE_ERROR_WORD = single_word(FromFPGA.HIGHSPEED_LINK_NOTIFICATION, link_up=1, decode_error=1)
_HALT = int(LoopbackKind.HALT)
#: the echo of each LOOPBACK value (halt, tick)
_ECHO = {int(kind): single_word(FromFPGA.LOOPBACK, value=kind) for kind in LoopbackKind}


def place_packs(t_first: np.ndarray, t_last: np.ndarray, now: int
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """Timing message before each event pack: (kind: lib.BSS2_TIMING_*, field value, decoder
    time after the last pack)."""
    t_first = np.ascontiguousarray(t_first, np.int64)
    t_last = np.ascontiguousarray(t_last, np.int64)
    kind = np.empty(t_first.size, np.int8)
    value = np.zeros(t_first.size, np.int64)
    now = lib.bss2_place_packs(ffi.cast("int64_t *", ffi.from_buffer(t_first)),
                               ffi.cast("int64_t *", ffi.from_buffer(t_last)), t_first.size,
                               int(now), _WINDOW, _SYSDELTA_MAX,
                               ffi.cast("int8_t *", ffi.from_buffer(kind)),
                               ffi.cast("int64_t *", ffi.from_buffer(value)))
    return kind, value, int(now)


def reference_placement(t_first: np.ndarray, t_last: np.ndarray, now: int
                        ) -> tuple[np.ndarray, np.ndarray, int]:
    """`place_packs` in plain Python (the differential tests' reference)."""
    kind = np.full(len(t_first), lib.BSS2_TIMING_NONE, np.int8)
    value = np.zeros(len(t_first), np.int64)
    for i, (first, last) in enumerate(zip(np.asarray(t_first).tolist(),
                                          np.asarray(t_last).tolist(), strict=True)):
        nxt = now + 1
        if not last <= nxt <= first + _WINDOW - 1:
            delta = last - now - 2
            if 0 <= delta <= _SYSDELTA_MAX:
                kind[i], value[i] = lib.BSS2_TIMING_SYSDELTA, delta
                now += 1 + delta
            else:
                kind[i], value[i] = lib.BSS2_TIMING_SYSTIME, max(last - 1, 0)
                now = max(last - 1, 0)
            nxt = now + 1
        now = nxt
    return kind, value, now


class ResponseStream:
    """From-FPGA messages of the running program, and the host decoder's time as the FPGA
    predicts it (+1 per message, SYSTIME sets, SYSDELTA adds)."""

    def __init__(self) -> None:
        self.now = 0
        self.messages = 0
        self._words: list[int] = []   # 64-bit messages waiting to join the pieces
        self._pieces: list[Wide] = []

    def single(self, word: int) -> None:
        """Append one 64-bit message."""
        self._words.append(word)
        self.now += 1
        self.messages += 1

    def _cut(self) -> None:
        if self._words:
            lo = np.array(self._words, _U64)
            self._pieces.append(Wide(np.zeros(len(lo), _U64), lo,
                                     np.full(len(lo), WORD_BITS, np.int64)))
            self._words = []

    def events(self, packs: Wide, t_first: np.ndarray, t_last: np.ndarray) -> None:
        """Append event packs (sorted by time; t_first/t_last: systime of each pack's first
        and last event), with the SYSTIME/SYSDELTA messages that place each pack where the
        decoder's time after it lies in [t_last, t_first + 127] (the scan runs in C:
        csrc/event_timing.c; `reference_placement` is its Python form)."""
        n = len(packs.lo)
        if not n:
            return
        kind, value, self.now = place_packs(t_first, t_last, self.now)
        self._cut()
        timed = kind != lib.BSS2_TIMING_NONE
        # the message sequence: pack i preceded by its timing message, if any
        at = np.arange(n) + np.cumsum(timed)  # position of pack i
        total = n + int(timed.sum())
        hi = np.zeros(total, _U64)
        lo = np.zeros(total, _U64)
        width = np.full(total, WORD_BITS, np.int64)
        hi[at], lo[at], width[at] = packs.hi, packs.lo, packs.width
        for code, instruction, mask in ((lib.BSS2_TIMING_SYSDELTA, FromFPGA.SYSDELTA, None),
                                        (lib.BSS2_TIMING_SYSTIME, FromFPGA.SYSTIME,
                                         FPGA_TIME_MASK)):
            sel = kind == code
            if sel.any():
                values = value[sel] if mask is None else value[sel] & mask
                lo[at[sel] - 1] = build(instruction, value=values).lo
        self._pieces.append(Wide(hi, lo, width))
        self.messages += total

    @property
    def pending_words(self) -> int:
        """Messages produced and not yet taken (about one 64-bit word each)."""
        return len(self._words) + sum(len(p.lo) for p in self._pieces)

    def take(self) -> np.ndarray:
        """All messages so far as flushed 64-bit words (empty if none)."""
        if not self._pieces:  # only 64-bit messages: they are the words
            words = np.array(self._words, _U64)
            self._words = []
            return words
        self._cut()
        wide = Wide(*(np.concatenate(parts) for parts in zip(*self._pieces, strict=True)))
        self._pieces = []
        return pack_words(wide)

    def restart(self) -> None:
        """A new program's stream: the host decoder starts again at time 0."""
        self.now = 0


#: what `ProgramStats.counts` counts (all start at 0: a plain dict, no Counter per program)
COUNT_KINDS = ("write", "read", "spike_in", "spike_out", "madc", "timeout", "malformed",
               "halt")


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KINDS, 0)


@dataclass
class ProgramStats:
    """What one program did, for the server's one log line per program (`str()` formats it,
    only when the line is logged)."""

    words: int = 0
    counts: dict[str, int] = field(default_factory=_zero_counts)
    start_systime: int = 0
    wall_start: float = field(default_factory=time.perf_counter)
    end_systime: int = 0
    wall_end: float = 0.0

    def finish(self, end_systime: int) -> ProgramStats:
        """Note the end of the program (at its halt)."""
        self.end_systime = end_systime
        self.wall_end = time.perf_counter()
        return self

    def __str__(self) -> str:
        c = self.counts
        return (f"{self.words} words: {c['write']} writes, {c['read']} reads, "
                f"{c['spike_in']} spikes in, {c['spike_out']} spikes out, "
                f"{c['madc']} MADC samples, {c['timeout']} timeouts, {c['malformed']} malformed; "
                f"{(self.end_systime - self.start_systime) * 8e-6:.3f} ms emulated, "
                f"{(self.wall_end - self.wall_start) * 1e3:.1f} ms wall")


class Executor:
    """The emulated FPGA with its chip. Feed it to-FPGA words with `execute`."""

    def __init__(self, chip: Chip | None = None, limits: Limits | None = None) -> None:
        self.chip = chip if chip is not None else Chip()
        self.limits = limits if limits is not None else Limits()
        #: called with the response words produced so far between chip runs (streaming)
        self.emit: Callable[[np.ndarray], None] | None = None
        #: polled between chip runs; True cancels the running program (ProgramCancelled)
        self.should_cancel: Callable[[], bool] | None = None
        #: limits hit since the last look: one line each (the server turns them into notices)
        self.notices: list[str] = []
        self._discarding = False  # skipping the rest of a program over its limits
        self._at = 0  # index of the word being executed in the current batch
        self._emitted_words = 0
        self.systime = 0          # FPGA ticks since the FPGA started
        self.timer_base = 0       # systime at the last TIMER_SETUP
        self.chip_synced = 0      # systime up to which the chip has run
        self.jtag_ir = JtagIR.IDCODE
        self.jtag_scaler = 0
        self.ring_registers = dict.fromkeys(_RING_REGISTERS, 0)  # event ring (address -> word)
        self.polling_registers = dict.fromkeys(polling.REGISTERS, 0)  # polling block config
        self.event_recording = _RECORDING_ON  # EventRecordingConfig word
        self.out = ResponseStream()
        self.programs_done: list[ProgramStats] = []
        self.totals: Counter = Counter()
        #: injected spikes not yet run: chunks of (systime, label) arrays, in program order
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._write_address: tuple[int, int] | None = None  # (address, byte enables)
        self._queued: list[tuple[np.ndarray, np.ndarray]] = []  # full-word writes not applied
        self._queued_count = 0
        self._stats = ProgramStats()
        self._dispatch: dict[int, Callable[[int], None]] = {
            ToFPGA.JTAG_INIT: self._jtag_init,
            ToFPGA.JTAG_SCALER: self._jtag_scaler,
            ToFPGA.JTAG_INS: self._jtag_ins,
            ToFPGA.JTAG_DATA: self._jtag_data,
            ToFPGA.TIMER_SETUP: self._timer_setup,
            ToFPGA.WAIT_UNTIL: self._wait_until,
            ToFPGA.SYSTIME_INIT: self._no_wait,
            ToFPGA.BARRIER: self._no_wait,
            ToFPGA.POLLING_OMNIBUS_BLOCK: self._polling_block,
            ToFPGA.SYSTEM_RESET: self._system_reset,
            ToFPGA.LOOPBACK: self._loopback,
            ToFPGA.OMNIBUS_ADDRESS: self._omnibus_address,
            ToFPGA.OMNIBUS_DATA: self._omnibus_data,
            ToFPGA.SPIKE_PACK_1: self._spikes,
            ToFPGA.SPIKE_PACK_2: self._spikes,
            ToFPGA.SPIKE_PACK_3: self._spikes,
        }
        #: FPGA-answered read addresses (the chip never sees these)
        self._local_reads: dict[int, Callable[[], int]] = {
            fr.TIMER: lambda: (self.systime - self.timer_base) & _WORD32,
            fr.SYSTIME_LOW: lambda: self.systime & _WORD32,
            fr.SYSTIME_HIGH: lambda: (self.systime >> 32) & ((1 << fr.SYSTIME_HIGH_BITS) - 1),
            **{a: (lambda a=a: self.ring_registers[a]) for a in _RING_REGISTERS},
            fr.EVENT_RECORDING_CONFIG: lambda: self.event_recording,
            **{a: (lambda a=a: self.polling_registers[a]) for a in polling.REGISTERS},
            fr.EMULATED_CHIP_SEED_LOW: lambda: self.chip.seed & _WORD32,
            fr.EMULATED_CHIP_SEED_HIGH: lambda: (self.chip.seed >> 32) & _WORD32,
        }
        self._local_writes: dict[int, Callable[[int], None]] = {
            **{a: (lambda w, a=a: self._ring_register(a, w)) for a in _RING_REGISTERS},
            fr.EVENT_RECORDING_CONFIG: self._event_recording_config,
            **{a: (lambda w, a=a: self.polling_registers.__setitem__(a, w))
               for a in polling.REGISTERS},
        }

    # -- public -------------------------------------------------------------------------------
    @property
    def timer(self) -> int:
        """The program timer (FPGA ticks since the last TIMER_SETUP)."""
        return self.systime - self.timer_base

    def execute(self, words: np.ndarray) -> np.ndarray:
        """Execute to-FPGA words (a program may be split anywhere across calls) and return the
        from-FPGA words produced. After each halt the words so far are one finished program's
        responses; its statistics are appended to `programs_done`."""
        words = np.asarray(words, _U64)
        if self._discarding:
            words = self._skip_to_halt(words)
        n = len(words)
        if not n:
            return self.out.take()
        if not self.in_program:
            self._stats.wall_start = time.perf_counter()
        try:
            self._execute(words)
        except ProgramLimit as err:
            self._over_limit(str(err))
            rest = words[self._at + 1:]
            if not self._is_halt(int(words[self._at])):
                rest = self._skip_to_halt(rest)
            else:
                self._discarding = False
            if len(rest):  # later programs of the batch run (after the notification)
                return self.execute(rest)
        return self.out.take()

    def _execute(self, words: np.ndarray) -> None:
        n = len(words)
        if n <= SHORT_BATCH_WORDS:
            self._slow(words, 0, n)
            return
        pos = 2 * _leading_write_pairs(words)  # a bulk write's frames: all of the words
        if pos:
            self._at = 0
            self._queue_pairs(words, 0, pos)
        starts = self._write_pairs(words[pos:]) + pos
        runs = np.split(starts, np.flatnonzero(np.diff(starts) != 2) + 1) if starts.size else []
        for run in runs:
            first, end = int(run[0]), int(run[-1]) + 2
            self._slow(words, pos, first)
            self._at = first
            self._queue_pairs(words, first, end)
            pos = end
        self._slow(words, pos, n)

    def _queue_pairs(self, words: np.ndarray, first: int, end: int) -> None:
        """Queue the full-word writes words[first:end] (address/data pairs): their addresses
        and data words as uint32 copies (the caller may reuse its array)."""
        halves = _write_halves(words[first:end])
        self._bulk_writes(halves[:, 0].copy(), halves[:, 2].copy())

    def _over_limit(self, reason: str) -> None:
        """Abandon the program: answer a decode-error notification, note the reason, and skip
        its remaining words up to its halt (in this batch or later ones)."""
        log.info("program abandoned: %s", reason)
        self.notices.append(reason)
        self._abandon()
        self.out.single(DECODE_ERROR_WORD)
        self._discarding = True

    @staticmethod
    def _is_halt(word: int) -> bool:
        return (word >> (WORD_BITS - HEADER_BITS) == ToFPGA.LOOPBACK
                and word_fields(ToFPGA.LOOPBACK, word)["value"] == LoopbackKind.HALT)

    def _skip_to_halt(self, words: np.ndarray) -> np.ndarray:
        """Words after the halt of the program being skipped (none if it has not come)."""
        loopbacks = np.flatnonzero(words >> _U64(WORD_BITS - HEADER_BITS) == ToFPGA.LOOPBACK)
        halts = [int(i) for i in loopbacks if self._is_halt(int(words[i]))]
        if not halts:
            return words[:0]
        self._discarding = False
        return words[halts[0] + 1:]

    @property
    def in_program(self) -> bool:
        """True while words of a program without its halt have been executed."""
        return self._stats.words > 0

    def abort_program(self) -> None:
        """Forget a partly received program (its client went away): responses not yet sent
        are dropped and the next program's stream starts afresh. Chip state is kept, writes
        already received are applied, the emulated time it still asked for is not run."""
        self._abandon()
        self._discarding = False

    def _abandon(self) -> None:
        self.systime = self.chip_synced  # the time not yet run is not run
        self._pending = []
        self._flush_writes()
        self.out.take()
        self.out.restart()
        self._write_address = None
        self._stats = ProgramStats(start_systime=self.systime)
        self._emitted_words = 0

    # -- instruction loop -----------------------------------------------------------------------
    @staticmethod
    def _write_pairs(words: np.ndarray) -> np.ndarray:
        """Indices of OMNIBUS_ADDRESS(write, all byte enables) words followed by OMNIBUS_DATA.

        Works on bytes: the header is byte 7 of a word, is_read and the byte enables are the
        low 5 bits of byte 4 (bits 36..32, see the to-FPGA table)."""
        if len(words) < 2:
            return np.zeros(0, np.int64)
        raw = words.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)
        header = raw[:, 7]
        is_write = (header == ToFPGA.OMNIBUS_ADDRESS) & ((raw[:, 4] & 0x1F) == _WRITE_ALL)
        return np.flatnonzero(is_write[:-1] & (header[1:] == ToFPGA.OMNIBUS_DATA))

    def _slow(self, words: np.ndarray, begin: int, end: int) -> None:
        """Execute words one by one (everything but runs of plain omnibus writes), runs of
        timed spikes (WAIT_UNTIL and spike packs, as a playback of input events has them) at
        once."""
        if end - begin >= TIMED_RUN_WORDS:
            timed = _IS_TIMED[words[begin:end] >> _U64(WORD_BITS - HEADER_BITS)]
            edges = np.flatnonzero(np.diff(timed, prepend=0, append=0))
            for first, stop in zip(edges[0::2] + begin, edges[1::2] + begin, strict=True):
                if stop - first < TIMED_RUN_WORDS:
                    continue
                self._words_one_by_one(words, begin, first)
                if not self._timed_run(words, first, stop):
                    self._words_one_by_one(words, first, stop)
                begin = stop
        self._words_one_by_one(words, begin, end)

    def _timed_run(self, words: np.ndarray, begin: int, end: int) -> bool:
        """Execute words[begin:end], all WAIT_UNTIL or spike packs, at once: each spike gets
        the systime of the waits before it. False (nothing done) where the word-by-word path
        must decide: a write address waiting for its data, or a wait over the time limit."""
        if self._write_address is not None:
            return False
        run = words[begin:end]
        header = run >> _U64(WORD_BITS - HEADER_BITS)
        is_wait = header == ToFPGA.WAIT_UNTIL
        targets = self.timer_base + extract(ToFPGA.WAIT_UNTIL, np.zeros(int(is_wait.sum()), _U64),
                                             run[is_wait])["value"].astype(np.int64)
        if targets.size and targets.max() - self._stats.start_systime > self.limits.program_ticks:
            return False
        if self._queued:
            self._flush_writes()
        systime = np.maximum.accumulate(np.concatenate([[self.systime], targets]))  # per wait
        spike = np.flatnonzero(~is_wait)
        count = (header[spike] - ToFPGA.SPIKE_PACK_1 + 1).astype(np.int64)
        word_of = np.repeat(spike, count)
        slot = np.arange(word_of.size) - np.repeat(np.cumsum(count) - count, count)
        shift = (16 * (np.repeat(count, count) - 1 - slot)).astype(_U64)
        labels = (run[word_of] >> shift) & _U64(0xFFFF)
        self._pending.append((systime[np.cumsum(is_wait)[word_of]], labels.astype(np.int64)))
        self.systime = int(systime[-1])
        self._stats.words += end - begin
        self._stats.counts["spike_in"] += word_of.size
        self._at = end - 1
        return True

    def _words_one_by_one(self, words: np.ndarray, begin: int, end: int) -> None:
        for i, word in enumerate(words[begin:end].tolist()):
            self._at = begin + i
            self._stats.words += 1
            header = word >> (WORD_BITS - HEADER_BITS)
            if header >= _COMMA:
                continue  # idle / padding word
            if self._queued:
                self._flush_writes()
            if self._write_address is not None and header != ToFPGA.OMNIBUS_DATA:
                self._malformed("omnibus write address not followed by data")
            handler = self._dispatch.get(header)
            if handler is None:
                self._malformed(f"unknown to-FPGA header {header}")
                continue
            handler(word)

    def _malformed(self, why: str) -> None:
        self._write_address = None
        self._stats.counts["malformed"] += 1
        log.debug("malformed program word: %s", why)
        self.out.single(DECODE_ERROR_WORD)

    # -- timing and system -----------------------------------------------------------------------
    def _no_wait(self, word: int) -> None:
        """SYSTIME_INIT, BARRIER: every channel is idle at once in emulation (accesses
        complete when executed), so these return immediately."""

    def _polling_block(self, word: int) -> None:
        """Read the configured word, letting time pass in growing steps, until its masked
        value equals (value 1) or differs from (value 0) the target, or the deadline passes
        (protocol.polling)."""
        equal = bool(word_fields(ToFPGA.POLLING_OMNIBUS_BLOCK, word)["value"])
        regs = self.polling_registers
        address, mask, target = (regs[polling.ADDRESS], regs[polling.MASK],
                                 regs[polling.TARGET])
        deadline = regs[polling.DEADLINE]
        end = self.timer_base + deadline if deadline else None
        local = self._local_reads.get(address)
        step = polling.POLL_FIRST_TICKS
        while True:
            self._sync()
            try:
                value = local() if local is not None else self._chip_read(address)
            except OmnibusError as err:
                self._timeout(address, str(err))
                return
            if ((value & mask) == target) == equal or (end is not None and self.systime >= end):
                return
            until = self.systime + step if end is None else min(self.systime + step, end)
            self._check_time(until, "a polling block")
            self.systime = until
            step = min(2 * step, polling.POLL_MAX_TICKS)

    def _timer_setup(self, word: int) -> None:
        self.timer_base = self.systime

    def _wait_until(self, word: int) -> None:
        target = self.timer_base + word_fields(ToFPGA.WAIT_UNTIL, word)["value"]
        self._check_time(target, "program")
        self.systime = max(self.systime, target)

    def _check_time(self, target: int, what: str) -> None:
        """ProgramLimit if letting emulated time run to systime `target` breaks the limit."""
        if target - self._stats.start_systime > self.limits.program_ticks:
            raise ProgramLimit(
                f"{what} asks for {(target - self._stats.start_systime) / TICKS_PER_MS:.1f} ms "
                f"of emulated time, over the limit of {self.limits.program_ms:g} ms per program")

    def _system_reset(self, word: int) -> None:
        """Reset asserted: the chip (with its MADC) returns to reset state;
        spikes not yet delivered are lost. Release is a no-op."""
        if word_fields(ToFPGA.SYSTEM_RESET, word)["value"]:
            self._pending = []
            self.ring_registers = dict.fromkeys(_RING_REGISTERS, 0)
            self.event_recording = _RECORDING_ON
            self.polling_registers = dict.fromkeys(polling.REGISTERS, 0)
            self.chip.configure_event_ring(False)
            self.chip.reset()
            self.chip_synced = self.systime
            self.jtag_ir = JtagIR.IDCODE

    def _loopback(self, word: int) -> None:
        kind = (word >> _LOOPBACK_SHIFT) & _LOOPBACK_MASK
        if kind != _HALT:
            self.out.single(_ECHO[kind])
            return
        self._sync()
        self.out.single(_ECHO[kind])
        stats, totals = self._stats, self.totals
        stats.counts["halt"] += 1
        for name, count in stats.counts.items():
            if count:
                totals[name] += count
        totals["programs"] += 1
        self.programs_done.append(stats.finish(self.systime))
        self._stats = ProgramStats(start_systime=self.systime)
        self._emitted_words = 0
        self.out.restart()

    # -- JTAG ------------------------------------------------------------------------------------
    def _jtag_init(self, word: int) -> None:
        self.jtag_ir = JtagIR.IDCODE  # TAP reset loads IDCODE

    def _jtag_scaler(self, word: int) -> None:
        self.jtag_scaler = word_fields(ToFPGA.JTAG_SCALER, word)["value"]

    def _jtag_ins(self, word: int) -> None:
        self.jtag_ir = word_fields(ToFPGA.JTAG_INS, word)["value"]

    def _jtag_data(self, word: int) -> None:
        """Shift num_bits through the selected data register: IDCODE shifts out the chip ID,
        BYPASS delays the input by one bit; other registers are not modelled and read 0."""
        f = word_fields(ToFPGA.JTAG_DATA, word)
        mask = (1 << f["num_bits"]) - 1
        shifted = {JtagIR.IDCODE: self.chip.jtag_id,
                   JtagIR.BYPASS: f["payload"] << 1}.get(self.jtag_ir, 0) & mask
        if f["keep_response"]:
            self.out.single(single_word(FromFPGA.JTAG_DATA, value=shifted))

    # -- spikes ----------------------------------------------------------------------------------
    def _spikes(self, word: int) -> None:
        count = (word >> (WORD_BITS - HEADER_BITS)) - ToFPGA.SPIKE_PACK_1 + 1
        labels = [(word >> (16 * (count - 1 - slot))) & 0xFFFF for slot in range(count)]
        self._pending.append((np.full(count, self.systime, np.int64), np.array(labels, np.int64)))
        self._stats.counts["spike_in"] += count

    def _sync(self) -> None:
        """Run the chip up to the current systime with the spikes injected before it, and
        queue the events it sends to the FPGA. While the MADC samples, a run is cut into
        pieces of at most MADC_MAX_RUN_TICKS (the samples of one piece are held in memory)."""
        while self.chip_synced < self.systime:
            step = self.systime - self.chip_synced
            neurons = self.chip.madc_neurons()
            slice_ticks = SLICE_TICKS[0] if self.chip.costly() else SLICE_TICKS[1]
            step = min(step, MADC_MAX_RUN_TICKS if neurons else slice_ticks)
            self._run_chip(self.chip_synced + step, neurons)
            self._between_runs()

    def _between_runs(self) -> None:
        """Hand out the responses so far, check the response limit and whether to stop."""
        if self.should_cancel is not None and self.should_cancel():
            raise ProgramCancelled("the program's host went away or the server stops")
        wall = time.perf_counter() - self._stats.wall_start
        if wall > self.limits.wall_s:
            raise ProgramLimit(f"program took {wall:.0f} s of wall time to emulate, over the "
                               f"limit of {self.limits.wall_s:g} s")
        produced = self._emitted_words + self.out.pending_words
        if produced > self.limits.response_words:
            raise ProgramLimit(f"program's responses exceed {self.limits.response_mib:g} MiB")
        if self.emit is not None and self.out.pending_words:
            words = self.out.take()
            self._emitted_words += len(words)
            self.emit(words)

    def _run_chip(self, until: int, neurons: list[int]) -> None:
        """One Chip.run from `chip_synced` to `until` with the spikes injected before it."""
        base = self.chip_synced
        pending = self._pending
        if len(pending) == 1:
            times, labels = pending[0]
        elif pending:
            times, labels = (np.concatenate(parts) for parts in zip(*pending, strict=True))
        else:
            times = labels = np.zeros(0, np.int64)
        due = int(np.searchsorted(times, until, side="left"))
        events = input_events(times[:due] - base, labels[:due])
        self._pending = [(times[due:], labels[due:])] if due < times.size else []
        self.chip_synced = until
        self.chip.event_ring.origin = base - fpga_ticks(self.chip.time)
        try:
            result = self.chip.run(events, int(until - base), record=neurons or None)
        except ChipError as err:
            log.warning("chip run failed: %s", err)
            self._malformed(f"chip run failed: {err}")
            return
        self._queue_events(base, result, neurons)

    def _queue_events(self, base: int, result, neurons: list[int]) -> None:
        """Spike and MADC packs of one chip run that started at systime `base`."""
        base_chip = base * CHIP_TICKS_PER_FPGA_TICK
        chunks = []  # (packs, t_first, t_last)
        ev = result.events
        if ev.size and self.event_recording & 1:
            chunks.append(_event_chunk("spike", base + ev["time"], base_chip + ev["chip_time"],
                                       {"label": ev["label"]}))
            self._stats.counts["spike_out"] += ev.size
        if neurons and result.madc is not None and result.madc.size:
            samples, k = result.madc.shape
            chip_t = np.repeat(np.floor(result.madc_time).astype(np.int64), k)
            channel = np.tile(np.array(self.chip.madc_channels(), np.int64), samples)
            chunks.append(_event_chunk(
                "madc", base + fpga_ticks(chip_t), base_chip + chip_t,
                {"channel": channel, "value": result.madc.reshape(-1)}))
            self._stats.counts["madc"] += result.madc.size
        if not chunks:
            return
        if len(chunks) == 1:  # packs of sorted events come in order already
            self.out.events(*chunks[0])
            return
        packs = Wide(*(np.concatenate(p) for p in zip(*(c[0] for c in chunks), strict=True)))
        t_first = np.concatenate([c[1] for c in chunks])
        t_last = np.concatenate([c[2] for c in chunks])
        order = np.argsort(t_last, kind="stable")
        self.out.events(Wide(packs.hi[order], packs.lo[order], packs.width[order]),
                        t_first[order], t_last[order])

    # -- omnibus ---------------------------------------------------------------------------------
    def _omnibus_address(self, word: int) -> None:
        if word >> _IS_READ_SHIFT & 1:
            self._read(word & _WORD32)
        else:
            self._write_address = (word & _WORD32, word >> _ENABLES_SHIFT & 0xF)

    def _omnibus_data(self, word: int) -> None:
        if self._write_address is None:
            self._malformed("omnibus data without a write address")
            return
        address, enables = self._write_address
        self._write_address = None
        self._write(address, word & _WORD32, enables)

    def _timeout(self, address: int, why: str) -> None:
        self._stats.counts["timeout"] += 1
        log.debug("omnibus timeout at %#010x: %s", address, why)
        self.out.single(single_word(FromFPGA.TIMEOUT_NOTIFICATION, value=address))

    def _read(self, address: int) -> None:
        self._stats.counts["read"] += 1
        self._sync()
        local = self._local_reads.get(address)
        try:
            value = local() if local is not None else self._chip_read(address)
        except OmnibusError as err:
            self._timeout(address, str(err))
            return
        self.out.single(_DATA_RESPONSE | (int(value) & _WORD32))

    def _chip_read(self, address: int) -> int:
        if _is_extmem(address):
            return int.from_bytes(self._extmem_bytes(address), "big")
        if address >> 31 or address in self._local_writes:
            raise OmnibusError(f"nothing answers reads at {address:#010x}", address)
        return self.chip.read(address)

    def _write(self, address: int, value: int, enables: int = 0xF) -> None:
        """One omnibus write; partial byte enables merge with the current word."""
        self._stats.counts["write"] += 1
        self._sync()
        try:
            if enables != 0xF:
                mask = sum(0xFF << (8 * b) for b in range(4) if enables >> b & 1)
                current = self._local_reads.get(address, lambda: self._chip_read(address))()
                value = (current & ~mask) | (value & mask)
            local = self._local_writes.get(address)
            if local is not None:
                local(value)
            elif _is_extmem(address):
                self._extmem_bytes(address)[:] = np.frombuffer(int(value).to_bytes(4, "big"),
                                                               np.uint8)
            elif address >> 31:
                raise OmnibusError(f"no FPGA register takes writes at {address:#010x}", address)
            else:
                self.chip.write(address, value)
        except OmnibusError as err:
            self._timeout(address, str(err))

    def _bulk_writes(self, addresses: np.ndarray, values: np.ndarray) -> None:
        """Queue a run of full-word omnibus writes. Writes take no time and nothing observes
        the chip between them and the next other instruction, so consecutive runs (also across
        `execute` calls, i.e. frames) are applied together by `_flush_writes` just before that
        instruction executes: one Chip.write_many for a whole configuration."""
        if self._write_address is not None:
            self._malformed("omnibus write address not followed by data")
        self._stats.words += 2 * len(addresses)
        self._queued.append((addresses, values))
        self._queued_count += len(addresses)
        if self._queued_count >= MAX_QUEUED_WRITES:
            self._flush_writes()

    def _flush_writes(self) -> None:
        """Apply the queued writes in order: vectorised (Chip.write_many) unless they touch an
        FPGA-answered address or the chip rejects one of the words; then write by write (writes
        set words, so replaying a partly applied batch gives the sequential result)."""
        if not self._queued:
            return
        if len(self._queued) == 1:
            ((addresses, values),) = self._queued
        else:
            addresses = np.concatenate([a for a, _ in self._queued])
            values = np.concatenate([v for _, v in self._queued])
        self._queued, self._queued_count = [], 0
        self._sync()
        if int(addresses.max()) >> 31 == 0:  # no FPGA-answered address
            try:
                self.chip.write_many(addresses, values)
                self._stats.counts["write"] += len(addresses)
                return
            except OmnibusError:
                pass
        for a, v in zip(addresses.tolist(), values.tolist(), strict=True):
            self._write(a, v)

    def _extmem_bytes(self, address: int) -> np.ndarray:
        """The 4 bytes of an external memory word (a view into the chip-held memory)."""
        offset = 4 * (address - fr.EXTMEM_BASE)
        return self.chip.extmem[offset:offset + 4]

    def _event_recording_config(self, word: int) -> None:
        layout = fr.EVENT_RECORDING_CONFIG_WORD
        if word != layout.build(**layout.parse(word)):
            raise OmnibusError(f"{layout.name} word {word:#010x} sets reserved bits",
                               fr.EVENT_RECORDING_CONFIG)
        self.event_recording = word

    # -- event ring (bss2emu extension) ------------------------------------------------------------
    def _ring_register(self, address: int, word: int) -> None:
        """Base and capacity are kept until control enables the ring, which latches them and
        (re)initialises its header; a word with reserved bits set, or an enable of a ring that
        does not fit extmem, is rejected and changes nothing."""
        layout = _RING_REGISTERS[address]
        if word != layout.build(**layout.parse(word)):
            raise OmnibusError(f"{layout.name} word {word:#010x} sets reserved bits", address)
        if address == er.CONTROL:
            regs = self.ring_registers
            self.chip.configure_event_ring(
                bool(er.CONTROL_WORD.parse(word)["enable"]),
                er.BASE_WORD.parse(regs[er.BASE])["offset"],
                er.CAPACITY_WORD.parse(regs[er.CAPACITY])["entries"])
        self.ring_registers[address] = word


#: EventRecordingConfig after reset: streaming to the host on (bss2emu's choice)
_RECORDING_ON = fr.EVENT_RECORDING_CONFIG_WORD.build(enable_event_recording=1)

#: the event ring's executor registers and their layouts
_RING_REGISTERS = {er.CONTROL: er.CONTROL_WORD, er.BASE: er.BASE_WORD,
                   er.CAPACITY: er.CAPACITY_WORD}


def _is_extmem(address: int) -> bool:
    return fr.EXTMEM_BASE <= address < fr.EXTMEM_BASE + fr.EXTMEM_WORDS


def _event_chunk(kind: str, systime: np.ndarray, chip_time: np.ndarray,
                 columns: dict[str, np.ndarray]) -> tuple[Wide, np.ndarray, np.ndarray]:
    """Packs for sorted events; a pack never spans two 128-tick windows of systime."""
    window = systime // _WINDOW
    new = np.empty(window.size, bool)
    new[:1] = True
    np.not_equal(window[1:], window[:-1], out=new[1:])
    first, size = pack_groups(new)
    packs = grouped_event_packs(kind, {"timestamp": chip_time & 0xFF, **columns}, first, size)
    return packs, systime[first], systime[first + size - 1]
