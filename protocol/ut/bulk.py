"""Fast numpy encoders for bulk traffic: omnibus writes/reads, timed spike injection, and
the FPGA's event packs.  Layouts come from `fields.build` (the construct declarations).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from .constants import MAX_PACK, WORD_BITS
from .dictionary import spec
from .enums import MADC_PACKS_FROM_FPGA, SPIKE_PACKS_FROM_FPGA, SPIKE_PACKS_TO_FPGA, ToFPGA
from .fields import Wide, build, out_of_range
from .message import UTError

_U64 = np.uint64


#: the bulk encoders to the FPGA rely on this: omnibus accesses, waits and spike packs are one
#: word each, so the words are the messages' low halves, placed directly (checked against the
#: declarations)
if any(spec(i).word_width != WORD_BITS for i in (
        ToFPGA.OMNIBUS_ADDRESS, ToFPGA.OMNIBUS_DATA, ToFPGA.WAIT_UNTIL, *SPIKE_PACKS_TO_FPGA)):
    raise UTError("the bulk encoders need one-word omnibus, wait and spike pack messages")


def omnibus_writes(address: np.ndarray, value: np.ndarray,
                   byte_enables: np.ndarray | int = 0xF) -> np.ndarray:
    """Words for N omnibus writes: Address(is_read=0) then Data, per write."""
    addr = build(ToFPGA.OMNIBUS_ADDRESS, is_read=0, byte_enables=byte_enables,
                 address=np.asarray(address))
    value = np.asarray(value)
    data = build(ToFPGA.OMNIBUS_DATA, value=value if value.shape == addr.lo.shape
                 else np.broadcast_to(value, addr.lo.shape))
    out = np.empty(2 * len(addr.lo), _U64)
    out[0::2] = addr.lo
    out[1::2] = data.lo
    return out


def omnibus_reads(address: np.ndarray) -> np.ndarray:
    """Words for N omnibus reads: one Address(is_read=1, all byte enables) each."""
    return build(ToFPGA.OMNIBUS_ADDRESS, is_read=1, byte_enables=0xF,
                 address=np.asarray(address)).lo


def pack_groups(new_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split items into packs of at most MAX_PACK that never cross a group boundary.

    `new_group[i]` is true where item i starts a group (item 0 always does).  Returns the
    first item and the size of every pack, in order (a pack ends where the next begins).
    """
    n = len(new_group)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(new_group)
    if not starts.size or starts[0]:  # item 0 starts a group in any case
        starts = np.concatenate([[0], starts])
    packs = -(-_lengths(starts, n) // MAX_PACK)
    end = np.cumsum(packs)
    # pack k of a group starts MAX_PACK k items after the group's first item
    first = np.repeat(starts - MAX_PACK * (end - packs), packs) + MAX_PACK * np.arange(end[-1])
    return first, _lengths(first, n)


def _lengths(starts: np.ndarray, n: int) -> np.ndarray:
    """Lengths of the runs that begin at `starts` (ascending, at least one) in n items."""
    out = np.empty(len(starts), np.int64)
    np.subtract(starts[1:], starts[:-1], out=out[:-1])
    out[-1] = n - starts[-1]
    return out


@dataclass(frozen=True)
class _PackPlan:
    """Where the items of pack messages go, per (pack size, slot) cell (size * MAX_PACK +
    slot), from the declared fields: per item field whether it lies in the high or low 64 bits
    of the message, its shift there, and its width; per pack size the header bits (high, low)
    and the message width."""

    fields: dict[str, tuple[np.ndarray, np.ndarray, int]]
    header_hi: np.ndarray
    header_lo: np.ndarray
    width: np.ndarray
    any_high: bool  # whether any field or header bit lies in the high 64 bits
    high_fields: frozenset[str]  # the fields of which some slot lies in the high 64 bits


@cache
def _pack_plan(instructions: tuple) -> _PackPlan:
    """The plan of the pack instructions carrying 1, 2, ... items."""
    cells = (len(instructions) + 1) * MAX_PACK
    names = [name.rsplit("_", 1)[0] for name in spec(instructions[0]).fields]
    high = {n: np.zeros(cells, bool) for n in names}
    shift = {n: np.zeros(cells, _U64) for n in names}
    width = {}
    header_hi = np.zeros(len(instructions) + 1, _U64)
    header_lo = np.zeros(len(instructions) + 1, _U64)
    message_width = np.zeros(len(instructions) + 1, np.int64)
    for count, instruction in enumerate(instructions, start=1):
        row = spec(instruction)
        header = build(instruction, **dict.fromkeys(row.fields, 0))
        header_hi[count], header_lo[count] = header.hi[0], header.lo[0]
        message_width[count] = row.word_width
        for slot in range(count):
            cell = count * MAX_PACK + slot
            for n in names:
                at, width[n] = row.fields[f"{n}_{slot}"]
                if at < WORD_BITS < at + width[n]:
                    raise UTError(f"{row.name}.{n}_{slot} straddles two words")
                high[n][cell], shift[n][cell] = at >= WORD_BITS, at % WORD_BITS
    high_fields = frozenset(n for n in names if high[n].any())
    return _PackPlan({n: (high[n], shift[n], width[n]) for n in names}, header_hi, header_lo,
                     message_width, bool(high_fields or header_hi.any()), high_fields)


def _packs(instructions: tuple, columns: dict[str, np.ndarray], first: np.ndarray,
           size: np.ndarray) -> Wide:
    """Pack messages (one per pack) with the items of each pack in slots _0, _1, ... (packs
    cover all items, in order: `pack_groups`); field values are range-checked."""
    plan = _pack_plan(instructions)
    if set(columns) != set(plan.fields):
        raise UTError(f"packs take fields {sorted(plan.fields)}, got {sorted(columns)}")
    n = int(size.sum())
    if not n:
        return Wide(np.zeros(0, _U64), np.zeros(0, _U64), np.zeros(0, np.int64))
    cell = np.repeat(size * MAX_PACK - first, size) + np.arange(n)  # size * MAX_PACK + slot
    hi = np.zeros(n, _U64) if plan.any_high else None
    lo = np.zeros(n, _U64)
    for name, (high, shift, width) in plan.fields.items():
        values = np.asarray(columns[name])
        if out_of_range(values, width):
            raise UTError(f"{instructions[0].name}.{name}: value out of range "
                          f"0..{(1 << width) - 1}")
        placed = values.astype(_U64) << shift.take(cell)
        if name in plan.high_fields:
            in_high = high.take(cell)
            hi |= np.where(in_high, placed, _U64(0))
            placed[in_high] = 0
        lo |= placed
    lo = np.bitwise_or.reduceat(lo, first) | plan.header_lo[size]
    hi = (np.zeros(len(first), _U64) if hi is None
          else np.bitwise_or.reduceat(hi, first) | plan.header_hi[size])
    return Wide(hi, lo, plan.width[size])


def wait_until_words(time: np.ndarray | int) -> np.ndarray:
    """Words of one WaitUntil per FPGA time (timer ticks; an int: one word), range-checked:
    what programs block on and what precedes each distinct time's spikes."""
    return build(ToFPGA.WAIT_UNTIL, value=time).lo


def spike_injection(time: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Words injecting spikes at FPGA times: WaitUntil(t) once per distinct time, then the
    labels of that time in SpikePack3/2/1 messages.  Times must be non-decreasing."""
    time = np.asarray(time, np.int64)
    label = np.asarray(label)
    if time.shape != label.shape or time.ndim != 1:
        raise UTError("spike times and labels must be 1-d arrays of equal length")
    if not time.size:
        return np.zeros(0, np.uint64)
    new_time = np.empty(time.size, bool)
    new_time[0] = True
    np.not_equal(time[1:], time[:-1], out=new_time[1:])
    if (time[1:] < time[:-1]).any():
        raise UTError("spike times must be non-decreasing")
    first, size = pack_groups(new_time)
    packs = _packs(SPIKE_PACKS_TO_FPGA, {"label": label}, first, size)
    starts_group = new_time[first]
    waits = wait_until_words(time[first[starts_group]])
    # pack k follows the waits of its group and all groups before: k + groups so far
    pack_slot = np.arange(len(first)) + np.cumsum(starts_group)
    out = np.empty(len(first) + len(waits), _U64)
    out[pack_slot] = packs.lo
    out[pack_slot[starts_group] - 1] = waits
    return out


def event_packs(kind: str, columns: dict[str, np.ndarray],
                new_group: np.ndarray | None = None) -> Wide:
    """The FPGA's responses for N chip events, consecutive events grouped in packs of 3.

    kind "spike": columns timestamp, label; kind "madc": columns timestamp, channel, value.
    `new_group` (optional, bool per event) starts a new pack wherever it is true, so a pack
    never spans a group boundary (the emulated FPGA groups by 128-tick time window).
    Returns message values (pack into words with `pack_words`, after interleaving any
    Systime/Sysdelta the FPGA sends).
    """
    n = len(next(iter(columns.values())))
    groups = np.arange(n) == 0 if new_group is None else np.asarray(new_group, bool).copy()
    if n:
        groups[0] = True
    return grouped_event_packs(kind, columns, *pack_groups(groups))


def grouped_event_packs(kind: str, columns: dict[str, np.ndarray], first: np.ndarray,
                        size: np.ndarray) -> Wide:
    """`event_packs` with the packs given: first event and size of each (`pack_groups`)."""
    instructions = {"spike": SPIKE_PACKS_FROM_FPGA, "madc": MADC_PACKS_FROM_FPGA}[kind]
    return _packs(instructions, columns, first, size)
