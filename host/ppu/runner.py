"""Loading a PPU program into a chip and running it, through the wire protocol only: hold the
PPU in reset, write its SRAM (mailbox zeroed) and the FPGA memory, release reset, then wait on
the device until the core sleeps: the FPGA's polling block (`protocol.polling`) watches the
PPU's status word, so a program runs at emulator speed with one host round trip per
`WAIT_CHUNK_US` of emulated time instead of one per poll."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bss2emu.host.connection import Connection, ProgramLimitExceeded
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol import polling
from bss2emu.protocol.clocks import FPGA_TICKS_PER_US, PPU_CYCLES_PER_US

from .elf import PpuProgram
from .toolchain import mailbox_layout

EXCEPTIONS = ("reset", "machine check", "critical input", "data storage",
              "instruction storage", "external input", "alignment", "program", "system call",
              "doorbell", "critical doorbell", "fixed-interval timer", "decrementer")
"""Vector number -> exception class, in the runtime's vector-table order."""

#: the linker script's symbol above .bss and its red zone: the emulated chip's stack guard
#: (`protocol.layouts.ppu.PPU_STACK_LIMIT`) faults a stack frame that reaches below it
STACK_LIMIT_SYMBOL = "heap_base"

#: emulated time one waiting program may cover (well inside the server's default limit of
#: 1000 ms per program); a longer --timeout-us takes several programs
WAIT_CHUNK_US = 100_000.0


class PpuRunError(Exception):
    """Loading or running a program failed (device rejected accesses, timeout)."""


@dataclass
class Fault:
    """An exception the runtime's handler reported in the mailbox."""

    vector: int
    pc: int
    esr: int
    dear: int
    instruction: int
    stack_limit: int = 0  # the stack guard the program ran with (0: none)

    def describe(self) -> str:
        name = EXCEPTIONS[self.vector] if self.vector < len(EXCEPTIONS) else "unknown"
        text = f"{name} exception at pc {self.pc:#010x} (instruction {self.instruction:#010x}"
        text += f", ESR {self.esr:#010x}"
        if self.vector in (3, 6):  # data storage, alignment: the data address matters
            text += f", data address {self.dear:#010x}"
        text += ")"
        if self.stack_overflow:
            text = (f"stack overflow: a stack frame reached {self.dear:#010x}, below the stack's "
                    f"end {self.stack_limit:#010x} (.bss and its red zone lie below); {text}")
        return text

    @property
    def stack_overflow(self) -> bool:
        """A data storage fault from the stack guard: a store below the stack's end."""
        return self.vector == 3 and 0 < self.stack_limit and self.dear < self.stack_limit


@dataclass
class PpuRunResult:
    """What a finished (or timed-out) program left behind."""

    hemisphere: int
    finished: bool              # the core sleeps
    exit_code: int | None       # None unless exit() ran
    fault: Fault | None
    text: str                   # the mailbox text area
    words: np.ndarray = field(repr=False)  # the mailbox user words (uint32)
    pc: int = 0                 # program counter when the host looked last (debug register)
    elapsed_us: float = 0.0     # emulated time from start to the last poll

    def describe(self) -> str:
        """One line for the user, with the emulated time (and PPU cycles) the run took."""
        took = (f" after {self.elapsed_us:.1f} us of emulated time "
                f"(<= {self.elapsed_us * PPU_CYCLES_PER_US:.0f} PPU cycles)")
        if self.fault is not None:
            return f"PPU {self.hemisphere}: {self.fault.describe()}{took}"
        if self.exit_code is not None:
            return f"PPU {self.hemisphere}: exited with code {self.exit_code}{took}"
        if self.finished:
            return (f"PPU {self.hemisphere}: sleeping without exit code (pc {self.pc:#010x})"
                    f"{took}")
        return f"PPU {self.hemisphere}: still running (pc {self.pc:#010x}){took}"


def stack_limit(program: PpuProgram) -> int:
    """Lowest address the program's stack may reach (0: unknown, no guard)."""
    symbol = program.symbols.get(STACK_LIMIT_SYMBOL)
    return symbol.address if symbol is not None else 0


def load_writes(program: PpuProgram, hemisphere: int) -> tuple[np.ndarray, np.ndarray]:
    """Omnibus writes that stop the PPU and load the program: reset, the stack guard (bss2emu
    extension), all 4096 SRAM words (unused ones and the mailbox zero), extmem words of the
    program's extmem segments."""
    _check_hemisphere(hemisphere)
    image = np.frombuffer(program.sram_image(), ">u4").astype(np.uint32)
    stop_address, stop_word = stop_write(hemisphere)
    addresses = [np.array([stop_address, ob.ppu_stack_limit_address(hemisphere)], np.uint32),
                 ob.PPU_MEMORY_BASE[hemisphere] + np.arange(image.size, dtype=np.uint32)]
    words = [np.array([stop_word, ob.PPU_STACK_LIMIT.build(address=stack_limit(program))],
                      np.uint32), image]
    for seg in program.segments_in("extmem"):
        offset = seg.offset  # code (.ext.text) and data share the memory
        first, last = offset // 4, (offset + len(seg.data) + 3) // 4
        chunk = bytearray(4 * (last - first))
        chunk[offset - 4 * first:offset - 4 * first + len(seg.data)] = seg.data
        addresses.append(fr.EXTMEM_BASE + np.arange(first, last, dtype=np.uint32))
        words.append(np.frombuffer(bytes(chunk), ">u4").astype(np.uint32))
    return np.concatenate(addresses), np.concatenate(words)


def stop_write(hemisphere: int) -> tuple[int, int]:
    """(address, word) holding the PPU in reset: it stops at once."""
    _check_hemisphere(hemisphere)
    return ob.ppu_control_address(hemisphere), ob.PPU_CONTROL.build(inhibit_reset=0)


def start_write(hemisphere: int) -> tuple[int, int]:
    """(address, word) releasing the PPU from reset: it starts at PC 0."""
    _check_hemisphere(hemisphere)
    return ob.ppu_control_address(hemisphere), ob.PPU_CONTROL.build(inhibit_reset=1)


def run_program(connection: Connection, program: PpuProgram, *, hemisphere: int = 0,
                timeout_us: float = 10_000.0, request_timeout: float | None = None
                ) -> PpuRunResult:
    """Load, start and wait until the PPU sleeps or `timeout_us` of emulated time passed."""
    if not timeout_us > 0:
        raise PpuRunError("the timeout must be positive")
    builder = PlaybackProgramBuilder(timer_setup=False)
    builder.write_many(*load_writes(program, hemisphere))
    builder.write(*start_write(hemisphere))
    total = max(1, int(timeout_us * FPGA_TICKS_PER_US))
    elapsed, sleeping = 0, False
    while not sleeping and elapsed < total:
        chunk = min(total - elapsed, int(WAIT_CHUNK_US * FPGA_TICKS_PER_US))
        status, timer = wait_for_sleep(builder, hemisphere, chunk)
        try:
            _run(connection, builder, request_timeout)
        except ProgramLimitExceeded as err:
            raise PpuRunError(f"the device stopped the wait for the PPU: {err}") from None
        elapsed += timer.value
        sleeping = bool(ob.PPU_STATUS.parse(status.value)["sleep"])
        builder = PlaybackProgramBuilder(timer_setup=False)
    return read_result(connection, hemisphere, finished=sleeping,
                       elapsed_us=elapsed / FPGA_TICKS_PER_US, request_timeout=request_timeout)


def wait_for_sleep(builder: PlaybackProgramBuilder, hemisphere: int, ticks: int):
    """Append a wait on the device until the PPU sleeps or `ticks` FPGA ticks pass: the
    polling registers, a timer setup, the polling block, then reads of the PPU status and the
    timer. Returns their tickets (status word, ticks waited)."""
    _check_hemisphere(hemisphere)
    sleep = ob.PPU_STATUS.build(sleep=1)
    builder.write_many(np.array([polling.ADDRESS, polling.MASK, polling.TARGET,
                                 polling.DEADLINE], np.int64),
                       np.array([polling.ADDRESS_WORD.build(address=ob.ppu_status_address(
                                     hemisphere)),
                                 polling.MASK_WORD.build(mask=sleep),
                                 polling.TARGET_WORD.build(target=sleep),
                                 polling.DEADLINE_WORD.build(ticks=ticks)], np.int64))
    builder.timer_setup()
    builder.polling_block(equal=True)
    return builder.read(ob.ppu_status_address(hemisphere)), builder.read(fr.TIMER)


def read_result(connection: Connection, hemisphere: int, *, finished: bool,
                elapsed_us: float = 0.0, request_timeout: float | None = None) -> PpuRunResult:
    """Read the mailbox, the program counter and the stack guard of a PPU."""
    layout = mailbox_layout()
    first = layout["BASE"] // 4
    builder = PlaybackProgramBuilder(timer_setup=False)
    mailbox = builder.read_many(ob.PPU_MEMORY_BASE[hemisphere] + first
                                + np.arange(layout["SIZE"] // 4, dtype=np.uint32))
    pc = builder.read(ob.ppu_debug_address(hemisphere, 0))
    guard = builder.read(ob.ppu_stack_limit_address(hemisphere))
    _run(connection, builder, request_timeout)
    raw = np.asarray(mailbox.value, np.uint32).astype(">u4").tobytes()

    def word(offset: int) -> int:
        return int.from_bytes(raw[offset:offset + 4], "big")

    exit_code = None
    if word(layout["EXIT_MAGIC"]) == layout["EXIT_MAGIC_VALUE"]:
        exit_code = int(np.int32(np.uint32(word(layout["EXIT_CODE"]))))
    fault = None
    if word(layout["FAULT_MAGIC"]) == layout["FAULT_MAGIC_VALUE"]:
        fault = Fault(*(word(layout[k]) for k in ("FAULT_VECTOR", "FAULT_SRR0", "FAULT_ESR",
                                                  "FAULT_DEAR", "FAULT_INSN")),
                      stack_limit=ob.PPU_STACK_LIMIT.parse(guard.value)["address"])
    length = min(word(layout["TEXT_LENGTH"]), layout["TEXT_SIZE"])
    text = raw[layout["TEXT"]:layout["TEXT"] + length].decode("ascii", errors="replace")
    user = layout["USER_WORDS"]
    words = np.frombuffer(raw[user:user + 4 * layout["USER_WORDS_COUNT"]], ">u4").astype(np.uint32)
    return PpuRunResult(hemisphere, finished, exit_code, fault, text, words, pc.value, elapsed_us)


def _check_hemisphere(hemisphere: int) -> None:
    if hemisphere not in range(ob.HEMISPHERES):
        raise PpuRunError(f"hemisphere must be 0 (top) or 1 (bottom), got {hemisphere!r}")


def _run(connection: Connection, builder: PlaybackProgramBuilder, timeout: float | None):
    result = connection.run(builder.done(), timeout)
    if (why := result.rejection()) is not None:
        raise PpuRunError(why)
    return result
