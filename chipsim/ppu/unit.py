"""One PPU as the chip sees it: a core (`PpuCore`) with its SRAM, the control (run/reset) and
status (sleep) registers on the omnibus, and the clock that ties its cycles to chip time (one
PPU cycle at 250 MHz is one 4 ns chip tick)."""
from __future__ import annotations

import copy

import numpy as np

from .._ppu import ffi, lib
from .core import BusAccess, PpuCore, Status

CONTROL_FIELDS = ("inhibit_reset", "force_clock_on", "force_clock_off",
                  "cache_controller_enable")


class PpuUnit:
    """The PPU of one hemisphere. `extmem` is the FPGA memory both PPUs share."""

    def __init__(self, hemisphere: int, extmem: np.ndarray) -> None:
        self.hemisphere = hemisphere
        self.core = PpuCore(extmem=extmem, pir=hemisphere)
        self.control = dict.fromkeys(CONTROL_FIELDS, 0)
        self.start_tick = 0  # chip tick at which the core left reset
        self.bus_failure = ""  # why the last access without a target failed

    def __deepcopy__(self, memo: dict) -> PpuUnit:
        """A twin with its own core (same state) attached to the copied FPGA memory."""
        twin = PpuUnit(self.hemisphere, copy.deepcopy(self.core.extmem, memo))
        memo[id(self)] = twin
        extmem = twin.core.state.extmem
        ffi.memmove(twin.core.state, self.core.state, ffi.sizeof("bss2_ppu"))
        twin.core.state.extmem = extmem
        twin.control = dict(self.control)
        twin.start_tick, twin.bus_failure = self.start_tick, self.bus_failure
        return twin

    # -- omnibus side ------------------------------------------------------------------------
    def read_word(self, index: int) -> int:
        """SRAM word `index` (big-endian bytes 4*index..4*index+3)."""
        return int.from_bytes(self.core.read_memory(4 * index, 4), "big")

    def write_word(self, index: int, value: int) -> None:
        self.core.write_memory(4 * index, int(value).to_bytes(4, "big"))

    def write_control(self, values: dict[str, int], now_tick: int) -> None:
        """Releasing reset (inhibit_reset 0 -> 1) starts the program at PC 0 now; setting it
        back to 0 stops the core and holds it in reset."""
        start = values["inhibit_reset"] and not self.control["inhibit_reset"]
        self.control = {k: int(values[k]) for k in CONTROL_FIELDS}
        if start or not self.control["inhibit_reset"]:
            self.core.reset()
            self.start_tick = now_tick

    @property
    def sleeping(self) -> bool:
        return bool(self.control["inhibit_reset"]) and self.core.status in (
            Status.SLEEPING, Status.HALTED)

    def debug_word(self, index: int) -> int:
        """bss2emu debug registers: program counter, last exception cause, its PC."""
        state = self.core.state
        return int((state.pc, state.last_cause, state.last_pc)[index])

    # -- running ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Out of reset and neither sleeping nor halted: the core wants cycles."""
        return bool(self.control["inhibit_reset"]) and self.core.status in (
            Status.RUNNING, Status.BUS)

    def run_until(self, tick: int) -> int | None:
        """Run the core up to absolute chip tick `tick`; the tick of the access it stopped on
        (see `pending`), if any."""
        if self.core.status == Status.RUNNING:
            self.core.run(max(0, tick - self.start_tick))
        return self.pending_tick()

    def pending_tick(self) -> int | None:
        """Absolute chip tick of the pending bus access, or None."""
        if self.core.status != Status.BUS:
            return None
        return self.start_tick + self.core.cycles

    @property
    def pending(self) -> BusAccess | None:
        return self.core.bus

    def vector(self) -> np.ndarray:
        """The 128 bytes of the pending vector access (fxvoutx data) as a writable view."""
        return np.frombuffer(ffi.buffer(self.core.state.bus_vector), np.uint8)

    def mask(self) -> np.ndarray:
        """Per-byte lane enables of the pending vector access."""
        return np.frombuffer(ffi.buffer(self.core.state.bus_mask), np.uint8) != 0

    def bus_error(self, why: str) -> None:
        """The pending access had no target: the core takes a data storage exception."""
        self.bus_failure = why
        lib.bss2_ppu_bus_error(self.core.state)

    def complete(self, data: int | None = None, vector: np.ndarray | None = None) -> None:
        """Finish the pending access: `data` for a scalar load, `vector` for fxvinx."""
        self.core.complete(data, None if vector is None else vector.tobytes())

