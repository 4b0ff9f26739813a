"""One PPU as the chip sees it: the C core with its SRAM, the control (run/reset) and status
(sleep) registers on the omnibus, and the clock that ties its cycles to chip time (one PPU
cycle at 250 MHz is one 4 ns chip tick)."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .._ppu import ffi, lib

CONTROL_FIELDS = ("inhibit_reset", "force_clock_on", "force_clock_off",
                  "cache_controller_enable")
EXCEPTION_NAMES = {
    lib.BSS2_EXC_RESET: "reset", lib.BSS2_EXC_MACHINE_CHECK: "machine check",
    lib.BSS2_EXC_CRITICAL_INPUT: "critical input", lib.BSS2_EXC_DATA_STORAGE: "data storage",
    lib.BSS2_EXC_INSTRUCTION_STORAGE: "instruction storage",
    lib.BSS2_EXC_EXTERNAL_INPUT: "external input", lib.BSS2_EXC_ALIGNMENT: "alignment",
    lib.BSS2_EXC_PROGRAM: "program", lib.BSS2_EXC_SYSCALL: "system call",
}


@dataclass(frozen=True)
class BusAccess:
    """An access the core stopped on, at absolute chip tick `tick`."""

    tick: int
    kind: int  # lib.BSS2_BUS_*
    address: int
    data: int
    register: int


class PpuUnit:
    """The PPU of one hemisphere. `extmem` is the FPGA memory both PPUs share."""

    def __init__(self, hemisphere: int, extmem: np.ndarray) -> None:
        self.hemisphere = hemisphere
        self._extmem = extmem
        self.core = ffi.new("bss2_ppu *")
        self.core.extmem = ffi.cast("uint8_t *", ffi.from_buffer(extmem))
        self.control = dict.fromkeys(CONTROL_FIELDS, 0)
        self.start_tick = 0  # chip tick at which the core left reset
        self.bus_failure = ""  # why the last access without a target failed
        self._reset_core()

    def __deepcopy__(self, memo: dict) -> PpuUnit:
        """A twin with its own core (same state) attached to the copied FPGA memory."""
        twin = PpuUnit.__new__(PpuUnit)
        memo[id(self)] = twin
        for name, value in vars(self).items():
            if name != "core":
                setattr(twin, name, copy.deepcopy(value, memo))
        twin.core = ffi.new("bss2_ppu *")
        ffi.memmove(twin.core, self.core, ffi.sizeof("bss2_ppu"))
        twin.core.extmem = ffi.cast("uint8_t *", ffi.from_buffer(twin._extmem))
        return twin

    def _reset_core(self) -> None:
        lib.bss2_ppu_reset(self.core)
        self.core.exception_mode = lib.BSS2_PPU_VECTOR_EXCEPTIONS
        self.core.pir = self.hemisphere

    # -- omnibus side ------------------------------------------------------------------------
    def read_word(self, index: int) -> int:
        """SRAM word `index` (big-endian bytes 4*index..4*index+3)."""
        return int.from_bytes(ffi.buffer(self.core.sram)[4 * index:4 * index + 4], "big")

    def write_word(self, index: int, value: int) -> None:
        ffi.buffer(self.core.sram)[4 * index:4 * index + 4] = int(value).to_bytes(4, "big")

    def write_control(self, values: dict[str, int], now_tick: int) -> None:
        """Releasing reset (inhibit_reset 0 -> 1) starts the program at PC 0 now; setting it
        back to 0 stops the core and holds it in reset."""
        start = values["inhibit_reset"] and not self.control["inhibit_reset"]
        self.control = {k: int(values[k]) for k in CONTROL_FIELDS}
        if start or not self.control["inhibit_reset"]:
            self._reset_core()
            self.start_tick = now_tick

    @property
    def sleeping(self) -> bool:
        return bool(self.control["inhibit_reset"]) and self.core.status in (
            lib.BSS2_PPU_SLEEPING, lib.BSS2_PPU_HALTED)

    def debug_word(self, index: int) -> int:
        """bss2emu debug registers: program counter, last exception cause, its PC."""
        core = self.core
        return int((core.pc, core.last_cause, core.last_pc)[index])

    # -- running ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Out of reset and neither sleeping nor halted: the core wants cycles."""
        return bool(self.control["inhibit_reset"]) and self.core.status in (
            lib.BSS2_PPU_RUNNING, lib.BSS2_PPU_BUS)

    def run_until(self, tick: int) -> BusAccess | None:
        """Run the core up to absolute chip tick `tick`; the access it stopped on, if any."""
        core = self.core
        if core.status == lib.BSS2_PPU_RUNNING:
            lib.bss2_ppu_run(core, max(0, tick - self.start_tick))
        return self.pending()

    def pending(self) -> BusAccess | None:
        core = self.core
        if core.status != lib.BSS2_PPU_BUS:
            return None
        return BusAccess(self.start_tick + int(core.cycles), int(core.bus_kind),
                         int(core.bus_addr), int(core.bus_data), int(core.bus_reg))

    def vector(self) -> np.ndarray:
        """The 128 bytes of the pending vector access (fxvoutx data) as a writable view."""
        return np.frombuffer(ffi.buffer(self.core.bus_vector), np.uint8)

    def mask(self) -> np.ndarray:
        """Per-byte lane enables of the pending vector access."""
        return np.frombuffer(ffi.buffer(self.core.bus_mask), np.uint8) != 0

    def bus_error(self, why: str) -> None:
        """The pending access had no target: the core takes a data storage exception."""
        self.bus_failure = why
        lib.bss2_ppu_bus_error(self.core)

    def complete(self, data: int | None = None) -> None:
        """Finish the pending access; `data` is the word a scalar load returns."""
        if data is not None:
            self.core.bus_data = data & 0xFFFF_FFFF
        lib.bss2_ppu_complete(self.core)
