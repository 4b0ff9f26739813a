"""Code in the FPGA external memory (.ext.text, `PPU_EXT_TEXT`): the core fetches it at
0x8000_0000 + offset, the same bytes data accesses see at 0x4000_0000 + offset; calls between
SRAM and extmem code work both ways (through the linker's thunks); every instruction fetched
from extmem costs CYC_EXTMEM_FETCH extra cycles; fetches outside the memories are instruction
storage exceptions; the loader puts .ext.text at the start of extmem and data after it."""
from __future__ import annotations

from pathlib import Path

import pytest
from bss2emu.chipsim._ppu import lib
from bss2emu.chipsim.ppu.core import (
    EXTMEM_BASE,
    EXTMEM_BYTES,
    EXTMEM_CODE_BASE,
    BusKind,
    Cause,
    PpuCore,
    Status,
)
from bss2emu.host.connection import connect
from bss2emu.host.ppu import toolchain
from bss2emu.host.ppu.elf import PpuElfError, PpuProgram, Segment, read_program
from bss2emu.host.ppu.runner import load_writes, run_program
from bss2emu.host.ppu.toolchain import mailbox_layout
from bss2emu.protocol import fpga_registers as fr

from tests.ppu.insngen import d_form, li
from tests.ppu.test_core_doc import HEADER, cycle_constants

pytest.importorskip("ziglang")

CYC = cycle_constants(HEADER.read_text())
WAIT = 0x7C00007C
BLR = 0x4E800020
TW_TRAP = 0x7FE00008  # tw 31, r0, r0: the word __builtin_trap() compiles to

PROGRAM = r"""
#include "ppu.h"

#define SUM_BODY { uint32_t s = 0; for (uint32_t i = 0; i < n; i++) s += i ^ (s >> 3); return s; }
__attribute__((noinline)) uint32_t sum_sram(uint32_t n) SUM_BODY
PPU_EXT_TEXT uint32_t sum_ext(uint32_t n) SUM_BODY

uint32_t sram_square(uint32_t x);
PPU_EXT_TEXT uint32_t ext_collatz(uint32_t x, uint32_t depth);

/* SRAM and extmem code calling each other, recursively */
__attribute__((noinline)) uint32_t sram_collatz(uint32_t x, uint32_t depth)
{
    if (x <= 1 || depth == 0)
        return depth;
    return ext_collatz(x & 1 ? 3 * x + 1 : x / 2, depth - 1);
}

PPU_EXT_TEXT uint32_t ext_collatz(uint32_t x, uint32_t depth)
{
    if (x <= 1 || depth == 0)
        return depth;
    return sram_collatz(x & 1 ? 3 * x + 1 : x / 2, depth - 1) + 1000;
}

__attribute__((noinline)) uint32_t sram_square(uint32_t x) { return x * x; }

/* an extmem function with a jump table and calls through pointers in both directions */
PPU_EXT_TEXT uint32_t ext_dispatch(uint32_t k, uint32_t (*f)(uint32_t))
{
    switch (k) {
    case 0: return f(3);
    case 1: return f(5) + 1;
    case 2: return sram_square(7) + 2;
    case 3: return f(11) * 3;
    case 4: return sum_ext(10);
    default: return 99;
    }
}

PPU_EXT_TEXT uint32_t ext_cube(uint32_t x) { return x * sram_square(x); }

PPU_EXT_TEXT uint32_t ext_spike_counter(void) { return spike_counter_read(0, 5); }

PPU_PARAMETER uint32_t mode = 0;
uint32_t generated[2] __attribute__((section(".ext.bss"), aligned(16)));
uint32_t table[3] __attribute__((section(".ext.data"))) = {11, 22, 33};

int start(void)
{
    mailbox_set_word(0, sram_collatz(27, 40));
    mailbox_set_word(1, ext_collatz(27, 40));
    uint32_t (*pointer)(uint32_t) = mode == 2 ? ext_cube : sram_square;
    uint32_t acc = 0;
    for (uint32_t k = 0; k < 6; k++)
        acc = acc * 31 + ext_dispatch(k, pointer);
    mailbox_set_word(2, acc);
    mailbox_set_word(3, sum_ext(100) == sum_sram(100));
    mailbox_set_word(4, table[0] + table[1] + table[2]);
    /* code written through the data view runs from the fetch view: li r3, 321; blr */
    generated[0] = 0x38600141u;
    generated[1] = 0x4E800020u;
    uint32_t (*fresh)(void) =
        (uint32_t (*)(void))((uint32_t)generated - PPU_EXTMEM_BASE + PPU_EXTMEM_CODE_BASE);
    mailbox_set_word(5, fresh());
    mailbox_set_word(6, ext_spike_counter());
    return (int)(acc & 0x7FFF);
}
"""


def _collatz(x: int, depth: int, ext: bool) -> int:
    """What sram_collatz (ext False) / ext_collatz (ext True) return."""
    if x <= 1 or depth == 0:
        return depth
    nxt = 3 * x + 1 if x & 1 else x // 2
    return _collatz(nxt, depth - 1, not ext) + (1000 if ext else 0)


def _sum(n: int) -> int:
    s = 0
    for i in range(n):
        s = (s + (i ^ (s >> 3))) & 0xFFFF_FFFF
    return s


def _expected_acc(f) -> int:
    values = [f(3), f(5) + 1, 49 + 2, f(11) * 3, _sum(10), 99]
    acc = 0
    for v in values:
        acc = (acc * 31 + v) & 0xFFFF_FFFF
    return acc


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> PpuProgram:
    folder = tmp_path_factory.mktemp("ext_text")
    (folder / "ext.c").write_text(PROGRAM)
    return read_program(toolchain.build([folder / "ext.c"], folder / "ext.elf"))


def _core_with(program: PpuProgram) -> PpuCore:
    """A core (real exception vectors) with the program in SRAM and extmem, at reset."""
    core = PpuCore(extmem=True)
    for seg in program.segments:
        core.write_memory(seg.address, seg.data)
    core.reset()
    core.pc = program.entry
    return core


def _run_to_exit(core: PpuCore) -> None:
    """Run to the exit `wait`, answering omnibus loads (the spike counter) with 0x55."""
    while (status := core.run(2_000_000)) == Status.BUS:
        core.complete(0x55)
    assert status == Status.SLEEPING and core.fault is None


def _words(core: PpuCore, count: int) -> list[int]:
    layout = mailbox_layout()
    raw = core.read_memory(layout["BASE"] + layout["USER_WORDS"], 4 * count)
    return [int.from_bytes(raw[4 * i:4 * i + 4], "big") for i in range(count)]


def test_layout_code_at_the_start_of_extmem_then_data(program):
    sections = {name: (address, size) for name, address, size in program.sections}
    assert sections[".ext.text"][0] == EXTMEM_CODE_BASE
    for name in ("sum_ext", "ext_collatz", "ext_dispatch", "ext_cube"):
        assert EXTMEM_CODE_BASE <= program.symbol(name).address < EXTMEM_CODE_BASE + EXTMEM_BYTES
    assert program.symbol("sum_sram").address < 0x3000
    # the data view's sections start after the code's bytes
    text_end = sections[".ext.text"][0] - EXTMEM_CODE_BASE + sections[".ext.text"][1]
    assert sections[".ext.data"][0] - EXTMEM_BASE >= text_end
    # calls across the 2 GiB gap go through the linker's range-extension thunks
    thunks = {name for name in program.symbols if name.startswith("__LongThunk_")}
    assert {"__LongThunk_ext_collatz", "__LongThunk_sram_collatz"} <= thunks
    # the code segment lands at extmem offset 0 (loaded at its data-view address)
    (code,) = [s for s in program.segments_in("extmem") if s.offset == 0]
    assert len(code.data) == sections[".ext.text"][1]


def test_program_runs_across_sram_and_extmem_on_the_core(program):
    core = _core_with(program)
    _run_to_exit(core)
    assert core.pc == program.symbol("__exit_wait").address + 4
    words = _words(core, 7)
    assert words[0] == _collatz(27, 40, ext=False) and words[1] == _collatz(27, 40, ext=True)
    assert words[2] == _expected_acc(lambda x: x * x)
    assert words[3:7] == [1, 66, 321, 0x55]


def test_calls_through_pointers_reach_extmem_code(program):
    core = _core_with(program)
    core.write_memory(program.symbol("mode").address, (2).to_bytes(4, "big"))
    _run_to_exit(core)
    assert _words(core, 3)[2] == _expected_acc(lambda x: x ** 3)


def _call(core: PpuCore, program: PpuProgram, function: str, argument: int) -> tuple[int, int]:
    """(cycles, instructions) of one call of `function` returning to the exit `wait`."""
    core.reset()
    core.set_gpr(1, program.symbol("stack_ptr_init").address)
    core.set_gpr(3, argument)
    core.lr = program.symbol("__exit_wait").address
    core.pc = program.symbol(function).address
    assert core.run(10_000_000) == Status.SLEEPING
    return core.cycles, core.instret


def test_each_instruction_fetched_from_extmem_costs_the_documented_extra(program):
    core = _core_with(program)
    sram_cycles, sram_count = _call(core, program, "sum_sram", 500)
    result = core.gpr[3]
    ext_cycles, ext_count = _call(core, program, "sum_ext", 500)
    assert core.gpr[3] == result == _sum(500)
    assert ext_count == sram_count > 2000  # same machine code, one extra `wait` in SRAM
    assert ext_cycles - sram_cycles == CYC["CYC_EXTMEM_FETCH"] * (ext_count - 1)
    assert CYC["CYC_EXTMEM_FETCH"] > 0


def _extmem_core(*words: int, extmem: bool = True, at: int = EXTMEM_CODE_BASE) -> PpuCore:
    core = PpuCore(halt_on_exception=True, extmem=extmem)
    if extmem:
        core.write_memory(at, b"".join(w.to_bytes(4, "big") for w in words))
    core.pc = at
    return core


def test_fetch_view_and_data_view_are_the_same_bytes():
    core = _extmem_core(li(3, 7), WAIT, at=EXTMEM_CODE_BASE + 0x100)
    assert core.read_memory(EXTMEM_BASE + 0x100, 8) == core.read_memory(EXTMEM_CODE_BASE + 0x100, 8)
    assert core.run(100) == Status.SLEEPING and core.gpr[3] == 7
    assert core.cycles == CYC["CYC_SIMPLE"] * 2 + CYC["CYC_EXTMEM_FETCH"] * 2


@pytest.mark.parametrize("pc", [EXTMEM_CODE_BASE + EXTMEM_BYTES, EXTMEM_CODE_BASE - 4,
                                EXTMEM_BASE, 0xFFFF_FFFC])
def test_fetch_outside_the_code_views_is_an_instruction_storage_exception(pc):
    core = _extmem_core()
    core.pc = pc
    assert core.run(100) == Status.HALTED
    assert (core.fault.cause, core.fault.pc, core.fault.insn) == (Cause.INSTRUCTION_STORAGE, pc, 0)


def test_execution_running_off_the_end_of_extmem_faults_there():
    last = EXTMEM_CODE_BASE + EXTMEM_BYTES - 4
    core = _extmem_core(0x60000000, at=last)   # nop
    assert core.run(100) == Status.HALTED
    assert (core.fault.cause, core.fault.pc) == (Cause.INSTRUCTION_STORAGE, last + 4)
    assert core.instret == 1


def test_a_core_without_extmem_cannot_fetch_there():
    core = _extmem_core(extmem=False)
    assert core.run(100) == Status.HALTED and core.fault.cause == Cause.INSTRUCTION_STORAGE


def test_branches_and_exceptions_cross_between_sram_and_extmem():
    # extmem: li r3,5; sc (vector 8 in SRAM: rfi back to extmem); li r4,6; ba 0x200 (SRAM: wait)
    core = PpuCore(extmem=True)
    ext = EXTMEM_CODE_BASE + 0x40
    core.write_memory(ext, b"".join(w.to_bytes(4, "big") for w in (
        li(3, 5), 0x44000002, li(4, 6), 18 << 26 | 0x200 | 2)))   # li; sc; li; ba 0x200
    core.write_memory(4 * Cause.SYSCALL, (0x4C000064).to_bytes(4, "big"))   # rfi
    core.write_memory(0x200, WAIT.to_bytes(4, "big"))
    core.pc = ext
    assert core.run(1000) == Status.SLEEPING
    assert (core.gpr[3], core.gpr[4], core.srr0, core.pc) == (5, 6, ext + 8, 0x204)


def test_omnibus_access_from_extmem_code_completes_and_bus_errors_name_the_word():
    lwz = d_form(32, 3, 4, 0)   # lwz r3, 0(r4)
    core = _extmem_core(lwz, WAIT)
    core.set_gpr(4, 0x8000_0040)
    assert core.run(100) == Status.BUS and core.bus.kind == BusKind.LOAD
    core.complete(0xCAFE)
    assert (core.gpr[3], core.pc) == (0xCAFE, EXTMEM_CODE_BASE + 4)
    assert core.cycles == CYC["CYC_LOAD"] + CYC["CYC_OMNIBUS"] + CYC["CYC_EXTMEM_FETCH"]
    core = _extmem_core(lwz, WAIT)
    core.set_gpr(4, 0x8000_0040)
    assert core.run(100) == Status.BUS
    lib.bss2_ppu_bus_error(core.state)
    assert (core.fault.cause, core.fault.pc, core.fault.insn) == (
        Cause.DATA_STORAGE, EXTMEM_CODE_BASE, lwz)


def test_program_runs_on_the_chip_through_the_host_runner(program):
    with connect() as connection:
        result = run_program(connection, program, timeout_us=2000)
    assert result.fault is None and result.exit_code == _expected_acc(lambda x: x * x) & 0x7FFF
    assert [int(w) for w in result.words[:7]] == [
        _collatz(27, 40, ext=False), _collatz(27, 40, ext=True),
        _expected_acc(lambda x: x * x), 1, 66, 321, 0]   # neuron 5 never spiked


def test_fault_in_extmem_code_reports_its_instruction_word(tmp_path):
    source = tmp_path / "trap.c"
    source.write_text('#include "ppu.h"\n'
                      "PPU_EXT_TEXT int cold(int x) { if (x) __builtin_trap(); return x; }\n"
                      "int start(void) { return cold(1); }\n")
    cold = read_program(toolchain.build([source], tmp_path / "trap.elf"))
    with connect() as connection:
        result = run_program(connection, cold, timeout_us=500)
    assert result.fault is not None and result.fault.vector == Cause.PROGRAM
    assert EXTMEM_CODE_BASE <= result.fault.pc < cold.symbol("cold").address + 64
    assert result.fault.instruction == TW_TRAP
    assert "at pc 0x8000" in result.describe()


def test_loader_maps_both_extmem_views_to_the_same_fpga_words():
    program = PpuProgram(Path("x.elf"), 0, (Segment("extmem", EXTMEM_CODE_BASE + 8, b"\x01\x02"),
                                            Segment("extmem", EXTMEM_BASE + 16, b"\x03\x04")),
                         {}, ())
    assert [s.offset for s in program.segments] == [8, 16]
    addresses, words = load_writes(program, 0)
    extmem = {int(a): int(w) for a, w in zip(addresses, words, strict=True)
              if a >= fr.EXTMEM_BASE}
    assert extmem == {fr.EXTMEM_BASE + 2: 0x0102_0000, fr.EXTMEM_BASE + 4: 0x0304_0000}


def test_loader_rejects_code_and_data_sharing_extmem_bytes(tmp_path, monkeypatch):
    # without AT> extmem, .ext.text loads at its fetch address and .ext.data starts at the
    # same extmem byte in the data view: lld cannot see the clash, the loader must
    script = tmp_path / "clash.ld"
    text = toolchain.LINKER_SCRIPT.read_text()
    assert " > extcode AT> extmem" in text
    script.write_text(text.replace(" > extcode AT> extmem", " > extcode"))
    monkeypatch.setattr(toolchain, "LINKER_SCRIPT", script)
    source = tmp_path / "clash.c"
    source.write_text('#include "ppu.h"\n'
                      'int d __attribute__((section(".ext.data"))) = 1;\n'
                      "PPU_EXT_TEXT int f(void) { return d; }\n"
                      "int start(void) { return f(); }\n")
    with pytest.raises(PpuElfError, match=r"\.ext\.data and \.ext\.text overlap in extmem"):
        read_program(toolchain.build([source], tmp_path / "clash.elf"))
