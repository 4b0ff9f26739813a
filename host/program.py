"""Playback programs in the spirit of fisch: a builder that appends UT instructions (omnibus
writes and reads with tickets, timer setup, wait-until and the polling block, spike injection
from numpy arrays, MADC control, JTAG IDCODE, halt), and the decoding of the FPGA's
responses into numpy arrays.

Times: `wait_until` and `inject` take FPGA ticks (8 ns) relative to the last `timer_setup()`
(the builder starts with one). Each timer setup is followed by two reads of the FPGA systime
(protocol.fpga_registers), so the result can give every spike and MADC sample both its
absolute systime and its time relative to the timer setup before it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bss2emu.protocol import builders as b
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    JtagIR,
    LoopbackKind,
    Message,
    Responses,
    encode,
    jtag_data,
    jtag_init,
    jtag_ins,
    loopback,
    omnibus_reads,
    omnibus_writes,
    polling_omnibus_block,
    spike_injection,
    timer_setup,
    wait_until_words,
)
from bss2emu.protocol.ut.constants import FPGA_TICKS_PER_US

FPGA_TICK_S = 1e-6 / FPGA_TICKS_PER_US
JTAG_ID_BITS = 32

SPIKE_DTYPE = np.dtype([("time", "<i8"), ("seconds", "<f8"), ("systime", "<i8"),
                        ("label", "<u2")])
"""Spikes from the chip: FPGA ticks since the timer setup before them, the same in seconds,
absolute FPGA systime, 16-bit label."""
MADC_DTYPE = np.dtype([("time", "<i8"), ("seconds", "<f8"), ("systime", "<i8"),
                       ("channel", "u1"), ("value", "<u2")])
"""MADC samples: times as for spikes, channel 0/1, 10-bit value."""


#: what a result holds where a program produced nothing of a kind (shared: an empty array
#: cannot be changed, and most programs produce no spikes, samples, timeouts or JTAG data)
_NO_SPIKES = np.zeros(0, SPIKE_DTYPE)
_NO_MADC = np.zeros(0, MADC_DTYPE)
_NO_INT64 = np.zeros(0, np.int64)



def _constant(words: np.ndarray) -> np.ndarray:
    """Words that every program shares (read-only)."""
    words.flags.writeable = False
    return words


#: the words of instructions that never change: a timer setup and its two systime reads,
#: a halt (encoded once; programs only concatenate them)
_TIMER_SETUP_WORDS = _constant(encode([timer_setup()], Direction.TO_FPGA))
_SYSTIME_ADDRESSES = _constant(np.array([fr.SYSTIME_LOW, fr.SYSTIME_HIGH], np.int64))
_SYSTIME_READ_WORDS = _constant(omnibus_reads(_SYSTIME_ADDRESSES))
_HALT_WORDS = _constant(encode([loopback(LoopbackKind.HALT)], Direction.TO_FPGA))


class ProgramError(RuntimeError):
    """A program was used wrongly (ticket read before the program ran, builder misuse)."""


class AccessTimeout(ProgramError):
    """The omnibus access behind a ticket was answered by a timeout notification."""


class ResponseError(ProgramError):
    """The responses do not fit the program (missing data, too many answers)."""


@dataclass
class Ticket:
    """The future value(s) of omnibus reads or a JTAG IDCODE read; valid after the run."""

    program: PlaybackProgram
    kind: str      # "omnibus" or "jtag"
    start: int     # index among the program's reads of this kind
    count: int
    scalar: bool

    @property
    def ok(self) -> bool:
        """True if every access of the ticket was answered with data."""
        return bool(self._result().read_ok[self.start:self.start + self.count].all()
                    if self.kind == "omnibus" else True)

    @property
    def value(self) -> int | np.ndarray:
        """The read value (an int, or a uint32 array for read_many)."""
        res = self._result()
        if self.kind == "jtag":
            values = res.jtag[self.start:self.start + self.count]
        else:
            ok = res.read_ok[self.start:self.start + self.count]
            if not ok.all():
                bad = self.program.read_addresses[self.start + int(np.flatnonzero(~ok)[0])]
                raise AccessTimeout(f"omnibus read of {int(bad):#010x} timed out")
            values = res.read_values[self.start:self.start + self.count]
        return int(values[0]) if self.scalar else values

    def _result(self) -> ProgramResult:
        if self.program.result is None:
            raise ProgramError("the program has not been run yet")
        return self.program.result


@dataclass
class ProgramResult:
    """Everything a program's responses say."""

    spikes: np.ndarray           # SPIKE_DTYPE
    madc: np.ndarray             # MADC_DTYPE
    read_values: np.ndarray      # uint32 per omnibus read, program order (0 where failed)
    read_ok: np.ndarray          # bool per omnibus read
    timeouts: np.ndarray         # word addresses of every access answered by a timeout
    jtag: np.ndarray             # JTAG data responses, in order
    decode_errors: int           # words the FPGA could not execute
    responses: Responses = field(repr=False)

    def rejection(self, what: str = "accesses") -> str | None:
        """One line naming how many omnibus accesses the device rejected and the first one's
        address, None if it rejected none."""
        if not self.timeouts.size:
            return None
        return (f"the device rejected {self.timeouts.size} {what}, the first at omnibus "
                f"address {int(self.timeouts[0]):#010x}")


@dataclass
class PlaybackProgram:
    """A finished program: its words and what is needed to interpret the responses."""

    words: np.ndarray
    access_address: np.ndarray   # every omnibus access in program order
    access_is_read: np.ndarray
    time_base_reads: np.ndarray  # index (among reads) of each timer setup's systime-low read
    jtag_reads: int
    result: ProgramResult | None = None

    @property
    def read_addresses(self) -> np.ndarray:
        """Addresses of the omnibus reads, in program order."""
        return self.access_address[self.access_is_read]


class PlaybackProgramBuilder:
    """Appends instructions; `done()` returns the program. Starts with a timer setup unless
    `timer_setup=False` (then times in the result are absolute systime)."""

    def __init__(self, timer_setup: bool = True) -> None:
        self._words: list[np.ndarray] = []
        self._addr: list[np.ndarray] = []
        self._is_read: list[np.ndarray] = []
        self._reads = 0
        self._jtag = 0
        self._halted = False
        self._bases: list[int] = []
        self._madc_neurons: list[int] = []
        self._program = PlaybackProgram(np.zeros(0, np.uint64), np.zeros(0, np.int64),
                                        np.zeros(0, bool), np.zeros(0, np.int64), 0)
        if timer_setup:
            self.timer_setup()

    # -- instructions -----------------------------------------------------------------------
    def messages(self, *msgs: Message) -> PlaybackProgramBuilder:
        """Append raw to-FPGA messages. Their responses are not matched to tickets: raw
        omnibus or JTAG reads make `Connection.run` raise ResponseError (use
        `Connection.exchange` for raw programs), and a raw halt is not waited for."""
        self._append(encode(msgs, Direction.TO_FPGA))
        return self

    def write(self, address: int, word: int, byte_enables: int = 0xF) -> PlaybackProgramBuilder:
        """One omnibus write."""
        self._access(np.array([address]), False,
                     omnibus_writes(np.array([address]), np.array([word]), byte_enables))
        return self

    def write_many(self, addresses: np.ndarray, words: np.ndarray) -> PlaybackProgramBuilder:
        """Omnibus writes from arrays (e.g. `protocol.builders` output), in order."""
        addresses = np.asarray(addresses, np.int64)
        words = np.asarray(words, np.int64)
        if addresses.shape != words.shape or addresses.ndim != 1:
            raise ProgramError("write_many needs equally long 1-d address and word arrays")
        if addresses.size:
            self._access(addresses, False, omnibus_writes(addresses, words))
        return self

    def read(self, address: int) -> Ticket:
        """One omnibus read; the ticket's value is an int."""
        return self._read(np.array([address]), scalar=True)

    def read_many(self, addresses: np.ndarray) -> Ticket:
        """Omnibus reads from an array; the ticket's value is a uint32 array."""
        return self._read(np.asarray(addresses, np.int64), scalar=False)

    def timer_setup(self) -> PlaybackProgramBuilder:
        """Zero the FPGA timer; later wait_until/inject times and result times count from
        here (two systime reads record where 'here' is)."""
        self._append(_TIMER_SETUP_WORDS)
        self._bases.append(self._reads)
        self._read(_SYSTIME_ADDRESSES, scalar=False, words=_SYSTIME_READ_WORDS)
        return self

    def wait_until(self, ticks: int) -> PlaybackProgramBuilder:
        """Block until the timer reaches `ticks` (no-op if it already has)."""
        self._append(wait_until_words(int(ticks)))
        return self

    def polling_block(self, equal: bool = True) -> PlaybackProgramBuilder:
        """Block on the FPGA until the omnibus word configured in its polling registers,
        masked, equals (or, with equal=False, differs from) the target, or the deadline
        there passes (`protocol.polling`; write the registers before)."""
        self._append(encode([polling_omnibus_block(int(equal))], Direction.TO_FPGA))
        return self

    def inject(self, times: np.ndarray, labels: np.ndarray) -> PlaybackProgramBuilder:
        """Inject spikes (labels, 16 bit) at timer ticks (sorted, < 2**32)."""
        times = np.asarray(times, np.int64)
        if times.size and (times.min() < 0 or times.max() >= 1 << 32):
            raise ProgramError("spike times must lie in 0 .. 2**32 - 1 timer ticks")
        self._append(spike_injection(times, np.asarray(labels)))
        return self

    def madc_record(self, neurons: list[int]) -> PlaybackProgramBuilder:
        """Start MADC sampling of up to two neurons (channel 0, 1; they must sit on different
        readout lines: hemisphere and column parity)."""
        try:
            addresses, words = b.madc_record(list(neurons))
        except ValueError as err:
            raise ProgramError(str(err)) from None
        self._madc_neurons = [int(n) for n in neurons]
        return self.write_many(addresses, words)

    def madc_stop(self) -> PlaybackProgramBuilder:
        """Stop MADC sampling (and the recorded neurons' readout)."""
        addresses, words = b.madc_stop(self._madc_neurons)
        self._madc_neurons = []
        return self.write_many(addresses, words)

    def jtag_idcode(self) -> Ticket:
        """Read the chip's JTAG IDCODE (TAP reset, IR = IDCODE, shift 32 bits)."""
        self.messages(jtag_init(), jtag_ins(JtagIR.IDCODE),
                      jtag_data(0, JTAG_ID_BITS, keep_response=True))
        self._jtag += 1
        return Ticket(self._program, "jtag", self._jtag - 1, 1, True)

    def halt(self) -> PlaybackProgramBuilder:
        """End the program (the FPGA echoes the halt when everything before it is done);
        nothing can be added after it."""
        self._append(_HALT_WORDS)
        self._halted = True
        return self

    def done(self) -> PlaybackProgram:
        """The program (a halt is appended if missing)."""
        if not self._halted:
            self.halt()
        p = self._program
        p.words = np.concatenate(self._words)
        p.access_address = (np.concatenate(self._addr) if self._addr
                            else np.zeros(0, np.int64))
        p.access_is_read = (np.concatenate(self._is_read) if self._is_read
                            else np.zeros(0, bool))
        p.time_base_reads = np.array(self._bases, np.int64)
        p.jtag_reads = self._jtag
        return p

    # -- internals --------------------------------------------------------------------------
    def _append(self, words: np.ndarray) -> None:
        if self._halted:
            raise ProgramError("the program has ended with halt(); build a new program")
        self._words.append(words)

    def _access(self, addresses: np.ndarray, is_read: bool, words: np.ndarray) -> None:
        """Append the words of omnibus accesses and remember the accesses (program order)."""
        if addresses.size and (addresses.min() < 0 or addresses.max() >= 1 << 32):
            raise ProgramError("omnibus addresses are 32-bit word addresses")
        self._append(words)
        self._addr.append(addresses.astype(np.int64))
        self._is_read.append(np.full(addresses.size, is_read))

    def _read(self, addresses: np.ndarray, scalar: bool, words: np.ndarray | None = None
              ) -> Ticket:
        """Omnibus reads (`words`: their encoding, if already made)."""
        self._access(addresses, True, omnibus_reads(addresses) if words is None else words)
        ticket = Ticket(self._program, "omnibus", self._reads, addresses.size, scalar)
        self._reads += addresses.size
        return ticket


def interpret(program: PlaybackProgram, responses: Responses) -> ProgramResult:
    """Turn one program's decoded responses into its result (and attach it to the program)."""
    values, ok = _match_reads(program, responses)
    bases = _time_bases(program, values, ok)
    spikes = _timed(responses.spikes, _NO_SPIKES, bases, ("label",))
    madc = _timed(responses.madc, _NO_MADC, bases, ("channel", "value"))
    if responses.jtag.size != program.jtag_reads:
        raise ResponseError(f"{responses.jtag.size} JTAG responses for "
                            f"{program.jtag_reads} IDCODE reads")
    result = ProgramResult(
        spikes=spikes, madc=madc, read_values=values, read_ok=ok,
        timeouts=_values64(responses.timeout), jtag=_values64(responses.jtag),
        decode_errors=(int(responses.highspeed_link["decode_error"].sum())
                       if responses.highspeed_link.size else 0),
        responses=responses)
    program.result = result
    return result


def _values64(records: np.ndarray) -> np.ndarray:
    """The `value` field of decoded records as int64."""
    return records["value"].astype(np.int64) if records.size else _NO_INT64


def _timed(events: np.ndarray, none: np.ndarray, bases: np.ndarray, names: tuple[str, ...]
           ) -> np.ndarray:
    """Decoded events (spikes or MADC samples) with their times: absolute systime, ticks and
    seconds since the timer setup before each (`none`: the empty result of their dtype)."""
    if not events.size:
        return none
    out = np.zeros(events.size, none.dtype)
    out["systime"] = events["chip_time"]
    for name in names:
        out[name] = events[name]
    out["time"] = out["systime"] - _base_of(bases, out["systime"])
    out["seconds"] = out["time"] * FPGA_TICK_S
    return out


def _match_reads(program: PlaybackProgram, responses: Responses
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Read values in program order. Data responses answer reads in order; a timeout names
    the address of the next access (read or write) to it that failed, so walking both in
    arrival order resolves every read even when some accesses time out."""
    n_reads = int(np.count_nonzero(program.access_is_read))
    data = responses.omnibus["value"].astype(np.uint32)
    if not responses.timeout.size:
        if data.size != n_reads:
            raise ResponseError(f"{data.size} omnibus data responses for {n_reads} reads")
        return data, np.ones(n_reads, bool)
    values = np.zeros(n_reads, np.uint32)
    ok = np.zeros(n_reads, bool)
    kinds = responses.headers[np.isin(responses.headers, (FromFPGA.OMNIBUS_DATA,
                                                          FromFPGA.TIMEOUT_NOTIFICATION))]
    addr = program.access_address.tolist()
    is_read = program.access_is_read.tolist()
    read_index = np.cumsum(program.access_is_read) - 1
    answered = np.zeros(n_reads, bool)
    pos, d, t = 0, 0, 0
    timeouts = responses.timeout["value"].tolist()
    for kind in kinds.tolist():
        if kind == FromFPGA.OMNIBUS_DATA:
            while pos < len(addr) and not is_read[pos]:
                pos += 1
            if pos == len(addr):
                raise ResponseError("more omnibus data responses than reads")
            values[read_index[pos]], ok[read_index[pos]] = data[d], True
            d += 1
        else:
            target = timeouts[t]
            t += 1
            while pos < len(addr) and addr[pos] != target:
                if is_read[pos]:
                    raise ResponseError(f"read of {addr[pos]:#010x} got no answer")
                pos += 1
            if pos == len(addr):
                raise ResponseError(f"timeout for {target:#010x} matches no access")
        if pos < len(addr) and is_read[pos]:
            answered[read_index[pos]] = True
        pos += 1
    if not answered.all():
        raise ResponseError(f"{int((~answered).sum())} omnibus reads got no answer")
    return values, ok


def _time_bases(program: PlaybackProgram, values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Systime of every timer setup, from its two systime reads."""
    idx = program.time_base_reads
    if not idx.size:
        return idx
    if not (ok[idx].all() and ok[idx + 1].all()):
        raise ResponseError("the FPGA did not answer the systime reads of a timer setup")
    return values[idx].astype(np.int64) | (values[idx + 1].astype(np.int64) << 32)


def _base_of(bases: np.ndarray, systime: np.ndarray) -> np.ndarray:
    """The systime of the last timer setup at or before each time (0 if none)."""
    if not bases.size:
        return np.zeros_like(systime)
    which = np.searchsorted(bases, systime, side="right") - 1
    return np.where(which >= 0, bases[np.maximum(which, 0)], 0)
