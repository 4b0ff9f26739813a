"""Python face of one PPU's scalar core (the C model in chipsim._ppu): load code, read and write
registers and memory, run for a number of cycles, and report faults and pending bus accesses.

The chip integration drives it as: `run(limit)`; on status BUS perform `bus` on the chip and
call `complete(data)`; on SLEEPING the program executed `wait`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from bss2emu.chipsim._ppu import ffi, lib

SRAM_BYTES = lib.BSS2_PPU_SRAM_BYTES
EXTMEM_BYTES = lib.BSS2_PPU_EXTMEM_BYTES
EXTMEM_BASE = lib.BSS2_PPU_EXTMEM_BASE
EXTMEM_CODE_BASE = lib.BSS2_PPU_EXTMEM_CODE_BASE  #: instruction-fetch view of the same bytes
_WORD = 0xFFFFFFFF


class Status(IntEnum):
    """Run state after `run` returns."""

    RUNNING = lib.BSS2_PPU_RUNNING    #: cycle limit reached
    SLEEPING = lib.BSS2_PPU_SLEEPING  #: executed `wait`
    BUS = lib.BSS2_PPU_BUS            #: waiting for the host model to perform `bus`
    HALTED = lib.BSS2_PPU_HALTED      #: stopped on an exception (halt-on-exception mode)


class Cause(IntEnum):
    """Exception causes; the value is also the vector slot (vector address = 4 * cause)."""

    RESET = lib.BSS2_EXC_RESET
    MACHINE_CHECK = lib.BSS2_EXC_MACHINE_CHECK
    CRITICAL_INPUT = lib.BSS2_EXC_CRITICAL_INPUT
    DATA_STORAGE = lib.BSS2_EXC_DATA_STORAGE
    INSTRUCTION_STORAGE = lib.BSS2_EXC_INSTRUCTION_STORAGE
    EXTERNAL_INPUT = lib.BSS2_EXC_EXTERNAL_INPUT
    ALIGNMENT = lib.BSS2_EXC_ALIGNMENT
    PROGRAM = lib.BSS2_EXC_PROGRAM
    SYSCALL = lib.BSS2_EXC_SYSCALL


class BusKind(IntEnum):
    """What a stopped instruction wants from the chip."""

    LOAD = lib.BSS2_BUS_LOAD    #: omnibus word read into `register`
    STORE = lib.BSS2_BUS_STORE  #: omnibus word write of `data`
    VIN = lib.BSS2_BUS_VIN      #: vector parallel-I/O read (fxvinx)
    VOUT = lib.BSS2_BUS_VOUT    #: vector parallel-I/O write (fxvoutx)
    SYNC = lib.BSS2_BUS_SYNC    #: watched extmem access (`watch`): sync, then the core does it


_CAUSE_TEXT = {
    Cause.DATA_STORAGE: "data storage exception: no memory at 0x{addr:08x}",
    Cause.INSTRUCTION_STORAGE: "instruction storage exception: no instruction memory at 0x{pc:08x}",
    Cause.ALIGNMENT: "alignment exception: misaligned access to 0x{addr:08x}",
    Cause.PROGRAM: "program exception (illegal, privileged or trap)",
    Cause.SYSCALL: "system call",
}


@dataclass(frozen=True)
class Fault:
    """The last exception the core raised."""

    cause: Cause
    pc: int      #: address of the instruction that raised it
    insn: int    #: its instruction word (0 when it could not be fetched)
    addr: int    #: data address of storage and alignment faults

    @property
    def message(self) -> str:
        """One line for people, e.g. 'program exception ...: word 0x00000000 at pc 0x00000010'."""
        text = _CAUSE_TEXT.get(self.cause, self.cause.name.lower().replace("_", " "))
        text = text.format(addr=self.addr, pc=self.pc)
        return f"{text}: word 0x{self.insn:08x} at pc 0x{self.pc:08x}"


@dataclass(frozen=True)
class BusAccess:
    """A pending access of the stopped instruction (status BUS)."""

    kind: BusKind
    address: int   #: omnibus word address (LOAD/STORE) or vector I/O address (VIN/VOUT)
    data: int      #: word to store (STORE)
    register: int  #: destination GPR (LOAD) or vector register (VIN/VOUT)


class PpuError(ValueError):
    """Bad argument to the PPU model (address out of range, value too wide, wrong state)."""


def _register(name: str, doc: str) -> property:
    def get(self: PpuCore) -> int:
        return int(getattr(self.state, name))

    def put(self: PpuCore, value: int) -> None:
        setattr(self.state, name, _word(value, name))

    return property(get, put, doc=doc)


def _word(value: int, what: str) -> int:
    value = int(value)
    if not -(1 << 31) <= value <= _WORD:
        raise PpuError(f"{what} must fit in 32 bits, got {value:#x}")
    return value & _WORD


class PpuCore:
    """One PPU core with its 16 KiB SRAM and, optionally, the (shared) FPGA external memory.

    `extmem` may be an existing writable uint8 buffer of EXTMEM_BYTES (to share it between the
    two PPUs), True for a private zeroed one, or None for none (accesses there then fault).
    """

    def __init__(self, *, extmem: np.ndarray | bool | None = None, halt_on_exception: bool = False,
                 pir: int = 0):
        self.state = ffi.new("bss2_ppu *")
        self.extmem: np.ndarray | None = None
        if extmem is True:
            extmem = np.zeros(EXTMEM_BYTES, np.uint8)
        if extmem is not None and extmem is not False:
            if not (isinstance(extmem, np.ndarray) and extmem.dtype == np.uint8
                    and extmem.shape == (EXTMEM_BYTES,) and extmem.flags.writeable
                    and extmem.flags.c_contiguous):
                raise PpuError("extmem must be a writable contiguous uint8 array of "
                               f"{EXTMEM_BYTES} bytes")
            self.extmem = extmem
            self.state.extmem = ffi.cast("uint8_t *", ffi.from_buffer(extmem))
        self.state.exception_mode = (lib.BSS2_PPU_HALT_ON_EXCEPTION if halt_on_exception
                                     else lib.BSS2_PPU_VECTOR_EXCEPTIONS)
        self.state.pir = _word(pir, "pir")
        self.reset()

    # registers
    cr = _register("cr", "condition register")
    xer = _register("xer", "fixed-point exception register (SO, OV, CA, byte count)")
    lr = _register("lr", "link register")
    ctr = _register("ctr", "count register")
    pc = _register("pc", "program counter")
    msr = _register("msr", "machine state register")
    srr0 = _register("srr0", "save/restore register 0 (exception return address)")
    srr1 = _register("srr1", "save/restore register 1 (MSR at the exception)")
    esr = _register("esr", "exception syndrome register")
    dear = _register("dear", "data exception address register")
    gin = _register("gin", "GPIO input (SPR 65)")
    gout = _register("gout", "GPIO output (SPR 66)")
    stack_limit = _register("stack_limit", "bss2emu stack guard: stores through r1 below this "
                            "address raise a data storage exception (0: off; kept by reset)")

    def reset(self) -> None:
        """Registers to their reset values, PC 0, status RUNNING; memories are kept."""
        lib.bss2_ppu_reset(self.state)

    @property
    def gpr(self) -> np.ndarray:
        """Copy of the 32 general purpose registers (uint32)."""
        return np.frombuffer(ffi.buffer(self.state.gpr), np.uint32).copy()

    def set_gpr(self, index: int, value: int) -> None:
        if not 0 <= index < 32:
            raise PpuError(f"GPR index must be 0..31, got {index}")
        self.state.gpr[index] = _word(value, f"r{index}")

    @property
    def cycles(self) -> int:
        """Cycles since reset (250 MHz); also the time base."""
        return int(self.state.cycles)

    @property
    def instret(self) -> int:
        """Instructions retired since reset."""
        return int(self.state.instret)

    @property
    def status(self) -> Status:
        return Status(self.state.status)

    def wake(self) -> None:
        """Resume a core that sleeps after `wait` (what an interrupt would do)."""
        if self.status == Status.SLEEPING:
            self.state.status = lib.BSS2_PPU_RUNNING

    # memory
    def _span(self, address: int, size: int) -> tuple[ffi.CData, int]:
        if 0 <= address and address + size <= SRAM_BYTES:
            return self.state.sram, address
        for base in (EXTMEM_BASE, EXTMEM_CODE_BASE):
            if self.extmem is not None and base <= address \
                    and address + size <= base + EXTMEM_BYTES:
                return self.state.extmem, address - base
        raise PpuError(f"{size} bytes at 0x{address:x} are not in the PPU's SRAM"
                       + (" or external memory" if self.extmem is not None else ""))

    def write_memory(self, address: int, data: bytes) -> None:
        """Copy bytes (big-endian program image or data) to SRAM or external memory; extmem is
        reached at its data address (EXTMEM_BASE + offset) and its instruction-fetch address
        (EXTMEM_CODE_BASE + offset) alike, as the core sees the same bytes at both."""
        base, offset = self._span(address, len(data))
        ffi.memmove(base + offset, bytes(data), len(data))

    def read_memory(self, address: int, size: int) -> bytes:
        base, offset = self._span(address, size)
        return bytes(ffi.buffer(base + offset, size))

    def load(self, image: bytes, address: int = 0, entry: int | None = None) -> None:
        """Reset, place a program image in memory and start at `entry` (default: `address`)."""
        self.write_memory(address, image)
        self.reset()
        self.pc = address if entry is None else entry

    def watch(self, offset: int, size: int) -> None:
        """Make every access touching extmem bytes [offset, offset + size) stop with a SYNC
        bus access first (size 0: none), so that the host can bring what the FPGA writes there
        up to the access's time; `complete` then lets the instruction through. Kept by reset."""
        if size and not (0 <= offset and offset + size <= EXTMEM_BYTES):
            raise PpuError(f"watched range {offset:#x}+{size} is outside the external memory")
        lib.bss2_ppu_watch(self.state, offset, size)

    def watches(self, offset: int, size: int) -> bool:
        """True if extmem bytes [offset, offset + size) overlap the watched range."""
        s = self.state
        return bool(s.watch_bytes) and offset < s.watch_offset + s.watch_bytes \
            and s.watch_offset < offset + size

    # execution
    def run(self, cycle_limit: int) -> Status:
        """Execute until `cycles` reaches cycle_limit, `wait`, a bus access or a halt."""
        if cycle_limit < 0:
            raise PpuError("cycle limit must be >= 0")
        return Status(lib.bss2_ppu_run(self.state, cycle_limit))

    def run_for(self, cycles: int) -> Status:
        """Execute for (at least) the given number of cycles from now."""
        return self.run(self.cycles + cycles)

    def step(self) -> Status:
        """Execute one instruction (or take one exception)."""
        return self.run(self.cycles + 1)

    @property
    def fault(self) -> Fault | None:
        """The last exception taken, or None."""
        s = self.state
        if s.last_cause == lib.BSS2_EXC_NONE:
            return None
        return Fault(Cause(s.last_cause), s.last_pc, s.last_insn, s.last_addr)

    @property
    def bus(self) -> BusAccess | None:
        """The access the core waits for (status BUS), else None."""
        s = self.state
        if s.status != lib.BSS2_PPU_BUS:
            return None
        return BusAccess(BusKind(s.bus_kind), s.bus_addr, s.bus_data, s.bus_reg)

    def complete(self, data: int | None = None, vector: bytes | None = None) -> None:
        """Finish the pending bus access: `data` is the loaded word (LOAD), `vector` the 128
        loaded bytes (VIN); stores and SYNC need neither (SYNC re-executes the instruction,
        which then reaches the watched memory itself)."""
        access = self.bus
        if access is None:
            raise PpuError(f"no bus access pending (status {self.status.name})")
        if access.kind == BusKind.LOAD:
            if data is None:
                raise PpuError("a bus load needs the loaded word")
            self.state.bus_data = _word(data, "loaded word")
        if access.kind == BusKind.VIN:
            if vector is None or len(vector) != lib.BSS2_PPU_VBYTES:
                raise PpuError(f"a vector load needs {lib.BSS2_PPU_VBYTES} bytes")
            ffi.memmove(self.state.bus_vector, bytes(vector), lib.BSS2_PPU_VBYTES)
        lib.bss2_ppu_complete(self.state)
