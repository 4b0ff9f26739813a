"""The event ring: a bss2emu extension of the FPGA (beyond HICANN-X v3) that records events in
the FPGA external memory (extmem) for the PPUs to poll.

While enabled, the FPGA appends one entry per recorded event -- every spike it injects from a
playback spike pack and every chip spike routed to it (the events it streams to the host) -- to
a ring buffer in extmem. A real FPGA could do the same: extmem is FPGA memory.

* Three executor registers (read/write, at 0x8800_0100..2, away from the real executor
  registers such as EventRecordingConfig at 0x8800_0005): control (bit 0 enable), base
  (extmem byte offset of the ring header, 16-byte aligned) and capacity (entries, >= 1). Base
  and capacity are latched when control is written with enable = 1, which also (re)writes the
  header; an enable with a ring that does not fit extmem is rejected like any bad register
  write (timeout notification). A system reset disables the ring.
* Header at `base`, big-endian words (`HEADER`): write_index (entries ever written, written by
  the FPGA, wraps mod 2^32), read_index (advanced by the PPU, only read by the FPGA),
  overflow_count (events dropped because the ring was full, write_index - read_index ==
  capacity), capacity (copy of the register).
* Entry k at base + 16 + 8 * (k % capacity) (`ENTRY`): u32 FPGA systime (bits 31..0, 8 ns ticks:
  the time the host sees for the event), u16 event label, u16 flags (bit 0 `chip`: 1 = chip
  spike routed to the FPGA, 0 = spike injected by the FPGA). Entries are appended in time order;
  at equal times injected spikes come first.
"""
from __future__ import annotations

import construct as cs
import numpy as np

from . import fpga_registers as fr
from .bitfields import register

#: executor registers (bss2emu extension; offsets chosen clear of the real FPGA's registers)
CONTROL = fr.EXECUTOR_BASE + 0x100
BASE = fr.EXECUTOR_BASE + 0x101
CAPACITY = fr.EXECUTOR_BASE + 0x102

CONTROL_WORD = register("event_ring_control", ("enable", 1))
"""Bit 0: the FPGA records events into the ring; writing 1 (re)initialises the header."""
BASE_WORD = register("event_ring_base", ("offset", 17))
"""Extmem byte offset of the ring header (16-byte aligned)."""
CAPACITY_WORD = register("event_ring_capacity", ("entries", 14))
"""Number of ring entries (>= 1; header and entries must fit the 128 KiB extmem)."""

HEADER = cs.Struct("write_index" / cs.Int32ub, "read_index" / cs.Int32ub,
                   "overflow_count" / cs.Int32ub, "capacity" / cs.Int32ub)
ENTRY_FLAGS = cs.BitStruct(cs.Padding(15), "chip" / cs.Flag)
ENTRY = cs.Struct("systime" / cs.Int32ub, "label" / cs.Int16ub, "flags" / ENTRY_FLAGS)

HEADER_BYTES = HEADER.sizeof()
ENTRY_BYTES = ENTRY.sizeof()
ALIGNMENT = 16
EXTMEM_BYTES = 4 * fr.EXTMEM_WORDS
#: flags value of a chip spike routed to the FPGA (injected spikes have flags 0)
CHIP_FLAG = int.from_bytes(ENTRY_FLAGS.build({"chip": True}), "big")


def _offsets(struct: cs.Struct) -> dict[str, int]:
    """Byte offset of every field of a flat struct, from the declaration."""
    out, pos = {}, 0
    for sub in struct.subcons:
        out[sub.name] = pos
        pos += sub.sizeof()
    return out


def _dtype(struct: cs.Struct) -> np.dtype:
    """The numpy twin of a flat struct of big-endian unsigned fields (vectorised entry I/O)."""
    return np.dtype([(sub.name, f">u{sub.sizeof()}") for sub in struct.subcons])


HEADER_OFFSETS = _offsets(HEADER)
ENTRY_OFFSETS = _offsets(ENTRY)
HEADER_DTYPE = _dtype(HEADER)
ENTRY_DTYPE = _dtype(ENTRY)


def check(base: int, capacity: int) -> str | None:
    """Why a ring at extmem byte offset `base` with `capacity` entries cannot be enabled, or
    None when it fits."""
    if base % ALIGNMENT:
        return f"event ring base {base:#x} is not {ALIGNMENT}-byte aligned"
    if capacity < 1:
        return "event ring capacity must be at least 1 entry"
    end = base + HEADER_BYTES + ENTRY_BYTES * capacity
    if end > EXTMEM_BYTES:
        return (f"event ring at {base:#x} with {capacity} entries ends at {end:#x}, beyond "
                f"the {EXTMEM_BYTES:#x}-byte external memory")
    return None


def config_writes(base: int, capacity: int, *, enable: bool = True) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Omnibus (addresses, words) that configure the ring and then enable it (control last;
    enabling (re)initialises the header). ValueError if the ring would be rejected."""
    why = check(base, capacity) if enable else None
    if why is not None:
        raise ValueError(why)
    addresses = [BASE, CAPACITY, CONTROL]
    words = [BASE_WORD.build(offset=base), CAPACITY_WORD.build(entries=capacity),
             CONTROL_WORD.build(enable=int(enable))]
    return np.array(addresses, np.uint32), np.array(words, np.uint32)


def disable_writes() -> tuple[np.ndarray, np.ndarray]:
    """Omnibus (addresses, words) that stop recording (the ring's memory is left as it is)."""
    return np.array([CONTROL], np.uint32), np.array([CONTROL_WORD.build(enable=0)], np.uint32)
