"""Fast numpy encoders for bulk traffic: omnibus writes/reads, timed spike injection, and
the FPGA's event packs.  Layouts come from `fields.build` (the construct declarations).
"""
from __future__ import annotations

import numpy as np

from .constants import MAX_PACK
from .enums import MADC_PACKS_FROM_FPGA, SPIKE_PACKS_FROM_FPGA, SPIKE_PACKS_TO_FPGA, ToFPGA
from .fields import Wide, build
from .message import UTError
from .pack import pack_words


def _interleave(*parts: Wide) -> Wide:
    """Messages a0, b0, ..., a1, b1, ... from equally long message arrays."""
    k = len(parts)
    n = len(parts[0].lo)
    out = [np.empty(n * k, parts[0].lo.dtype) for _ in range(2)] + [np.empty(n * k, np.int64)]
    for i, part in enumerate(parts):
        for dst, src in zip(out, part, strict=True):
            dst[i::k] = src
    return Wide(*out)


def omnibus_writes(address: np.ndarray, value: np.ndarray,
                   byte_enables: np.ndarray | int = 0xF) -> np.ndarray:
    """Words for N omnibus writes: Address(is_read=0) then Data, per write."""
    addr = build(ToFPGA.OMNIBUS_ADDRESS, is_read=0, byte_enables=byte_enables,
                 address=np.asarray(address))
    data = build(ToFPGA.OMNIBUS_DATA, value=np.broadcast_to(value, addr.lo.shape))
    return pack_words(_interleave(addr, data))


def omnibus_reads(address: np.ndarray) -> np.ndarray:
    """Words for N omnibus reads: one Address(is_read=1, all byte enables) each."""
    return pack_words(build(ToFPGA.OMNIBUS_ADDRESS, is_read=1, byte_enables=0xF,
                            address=np.asarray(address)))


def pack_groups(new_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split items into packs of at most MAX_PACK that never cross a group boundary.

    `new_group[i]` is true where item i starts a group (item 0 always does).  Returns the
    first item and the size of every pack, in order.
    """
    n = len(new_group)
    idx = np.arange(n)
    breaks = np.flatnonzero(new_group)
    group_start = breaks[np.searchsorted(breaks, idx, side="right") - 1]
    first = idx[(idx - group_start) % MAX_PACK == 0]
    nxt = np.searchsorted(breaks, first, side="right")
    group_end = np.where(nxt < len(breaks), breaks[np.minimum(nxt, len(breaks) - 1)], n)
    return first, np.minimum(MAX_PACK, group_end - first)


def _packs(instructions: tuple, columns: dict[str, np.ndarray], first: np.ndarray,
           size: np.ndarray) -> Wide:
    """Pack messages (one per pack) with the items of each pack in slots _0, _1, ..."""
    n = len(first)
    out = Wide(np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.int64))
    for count, instruction in enumerate(instructions, start=1):
        sel = np.flatnonzero(size == count)
        if not sel.size:
            continue
        fields = {f"{name}_{slot}": col[first[sel] + slot]
                  for name, col in columns.items() for slot in range(count)}
        msgs = build(instruction, **fields)
        for dst, src in zip(out, msgs, strict=True):
            dst[sel] = src
    return out


def spike_injection(time: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Words injecting spikes at FPGA times: WaitUntil(t) once per distinct time, then the
    labels of that time in SpikePack3/2/1 messages.  Times must be non-decreasing."""
    time = np.asarray(time, np.int64)
    label = np.asarray(label)
    if time.shape != label.shape or time.ndim != 1:
        raise UTError("spike times and labels must be 1-d arrays of equal length")
    if not time.size:
        return np.zeros(0, np.uint64)
    if np.any(np.diff(time) < 0):
        raise UTError("spike times must be non-decreasing")
    new_time = np.r_[True, time[1:] != time[:-1]]
    first, size = pack_groups(new_time)
    packs = _packs(SPIKE_PACKS_TO_FPGA, {"label": label}, first, size)
    group_of_pack = np.cumsum(new_time)[first] - 1
    starts_group = new_time[first]
    waits = build(ToFPGA.WAIT_UNTIL, value=time[first[starts_group]])
    total = len(first) + len(waits.lo)
    pack_slot = np.arange(len(first)) + group_of_pack + 1
    wait_slot = pack_slot[starts_group] - 1
    out = Wide(np.zeros(total, np.uint64), np.zeros(total, np.uint64), np.zeros(total, np.int64))
    for dst, p_src, w_src in zip(out, packs, waits, strict=True):
        dst[pack_slot] = p_src
        dst[wait_slot] = w_src
    return pack_words(out)


def event_packs(kind: str, columns: dict[str, np.ndarray],
                new_group: np.ndarray | None = None) -> Wide:
    """The FPGA's responses for N chip events, consecutive events grouped in packs of 3.

    kind "spike": columns timestamp, label; kind "madc": columns timestamp, channel, value.
    `new_group` (optional, bool per event) starts a new pack wherever it is true, so a pack
    never spans a group boundary (the emulated FPGA groups by 128-tick time window).
    Returns message values (pack into words with `pack_words`, after interleaving any
    Systime/Sysdelta the FPGA sends).
    """
    instructions = {"spike": SPIKE_PACKS_FROM_FPGA, "madc": MADC_PACKS_FROM_FPGA}[kind]
    n = len(next(iter(columns.values())))
    groups = np.arange(n) == 0 if new_group is None else np.asarray(new_group, bool).copy()
    if n:
        groups[0] = True
    first, size = pack_groups(groups)
    return _packs(instructions, {k: np.asarray(v) for k, v in columns.items()}, first, size)
