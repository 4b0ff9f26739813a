"""The FPGA's event ring writer (bss2emu extension, layout in protocol.event_ring): appends every
event the FPGA injects or receives to a ring buffer in the external memory, for PPUs to poll.

It lives with the chip, which owns the external memory and knows when each event happens: the
chip feeds it every network segment's FPGA events (`record`), so a PPU that reads the header at
chip tick t sees exactly the events of chip ticks < t (the chip splits its run at such reads,
see `header_span` and `PpuCore.watch`). The FPGA executor configures it from its registers and
tells it the FPGA systime of chip tick 0 (`origin`), from which entry times are derived.
"""
from __future__ import annotations

import numpy as np
from bss2emu.protocol import event_ring as er

from .errors import OmnibusError
from .geometry import fpga_ticks

_WORD = 1 << 32


class EventRing:
    """The ring writer over the FPGA memory `extmem` (disabled until `enable`)."""

    def __init__(self, extmem: np.ndarray) -> None:
        self.extmem = extmem
        self.enabled = False
        self.base = 0
        self.capacity = 0
        self.origin = 0  # FPGA systime at chip tick 0

    def enable(self, base: int, capacity: int) -> None:
        """Start recording into a ring at extmem byte offset `base` with `capacity` entries and
        (re)initialise its header; OmnibusError (naming the control register) if it does not
        fit."""
        why = er.check(base, capacity)
        if why is not None:
            raise OmnibusError(why, er.CONTROL)
        self.enabled, self.base, self.capacity = True, base, capacity
        self._header()[0] = (0, 0, 0, capacity)

    def disable(self) -> None:
        """Stop recording; the ring's memory keeps what was written."""
        self.enabled = False

    def header_span(self) -> tuple[int, int]:
        """(extmem byte offset, bytes) of the header while enabled, else (0, 0): the range PPU
        accesses must not reach ahead of the network."""
        return (self.base, er.HEADER_BYTES) if self.enabled else (0, 0)

    def _header(self) -> np.ndarray:
        return self.extmem[self.base:self.base + er.HEADER_BYTES].view(er.HEADER_DTYPE)

    def record(self, start: int, in_tick: np.ndarray, in_label: np.ndarray,
               out_tick: np.ndarray, out_label: np.ndarray) -> None:
        """Append one network segment's events: injected ones at chip ticks `in_tick` and chip
        events routed to the FPGA at `out_tick` (both relative to the segment's start, chip tick
        `start`). Time order, injected first at equal times; a full ring drops and counts."""
        tick = np.concatenate([in_tick, out_tick]).astype(np.int64) + start
        if not tick.size:
            return
        flags = np.repeat(np.array([0, er.CHIP_FLAG], np.int64), [in_tick.size, out_tick.size])
        order = np.lexsort((flags, tick))
        header = self._header()
        write, read = int(header["write_index"][0]), int(header["read_index"][0])
        free = max(self.capacity - (write - read) % _WORD, 0)
        kept = order[:free]
        entries = np.empty(kept.size, er.ENTRY_DTYPE)
        entries["systime"] = (self.origin + fpga_ticks(tick[kept])) % _WORD
        entries["label"] = np.concatenate([in_label, out_label]).astype(np.int64)[kept]
        entries["flags"] = flags[kept]
        slots = (write + np.arange(kept.size)) % self.capacity
        first = self.base + er.HEADER_BYTES
        self.extmem[first:first + er.ENTRY_BYTES * self.capacity].view(er.ENTRY_DTYPE)[slots] = \
            entries
        header["write_index"] = (write + kept.size) % _WORD
        header["overflow_count"] = (int(header["overflow_count"][0]) + order.size - kept.size) \
            % _WORD
