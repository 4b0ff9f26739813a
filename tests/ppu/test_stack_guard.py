"""The emulator's stack guard (bss2emu extension): a stack frame that reaches below the end of
the program's .bss (and its red zone) faults at once instead of silently overwriting data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bss2emu.chipsim.ppu.core import Cause, PpuCore, Status
from bss2emu.protocol import omnibus as ob
from bss2emu.tools.cli import main

LI_R1_0x200 = 0x38200200       # addi r1, 0, 0x200
STWU_R1_M16 = 0x9421FFF0       # stwu r1, -16(r1): the frame's back chain at 0x1F0
STW_R3_0_R4 = 0x90640000       # stw r3, 0(r4): not through the stack pointer
LI_R4_0x100 = 0x38800100       # addi r4, 0, 0x100
WAIT = 0x7C00007C


def _core(words: list[int], limit: int) -> PpuCore:
    core = PpuCore(halt_on_exception=True)
    core.load(np.array(words + [WAIT], ">u4").tobytes())
    core.stack_limit = limit
    core.reset()  # the guard survives the reset that starts a program
    core.run(100)
    return core


def test_store_through_r1_below_the_limit_faults_and_writes_nothing():
    core = _core([LI_R1_0x200, STWU_R1_M16], limit=0x1F8)
    assert core.status == Status.HALTED
    assert core.fault.cause == Cause.DATA_STORAGE and core.fault.addr == 0x1F0
    assert core.read_memory(0x1F0, 4) == bytes(4)
    assert core.gpr[1] == 0x200  # the update form did not move the stack pointer


@pytest.mark.parametrize("limit", [0, 0x1F0])
def test_frames_at_or_above_the_limit_and_no_guard_run(limit):
    core = _core([LI_R1_0x200, STWU_R1_M16], limit=limit)
    assert core.status == Status.SLEEPING and core.fault is None
    assert core.read_memory(0x1F0, 4) == (0x200).to_bytes(4, "big")


def test_other_stores_below_the_limit_are_not_the_stack():
    core = _core([LI_R4_0x100, STW_R3_0_R4], limit=0x1000)
    assert core.status == Status.SLEEPING and core.fault is None


def test_the_guard_is_a_chip_register():
    assert ob.ppu_stack_limit_address(1) == ob.PPU_MEMORY_BASE[1] + ob.PPU_STACK_LIMIT_OFFSET


def test_ppu_run_names_a_stack_overflow(tmp_path: Path, capsys):
    pytest.importorskip("ziglang")
    src = tmp_path / "deep.c"
    src.write_text(
        '#include "ppu.h"\n'
        "static volatile uint32_t data[8];\n"
        "__attribute__((noinline)) static uint32_t deep(uint32_t n) {\n"
        "    volatile uint32_t frame[64];\n"
        "    frame[0] = n; frame[63] = data[n & 7];\n"
        "    uint32_t below = n ? deep(n - 1) : 0;\n"
        "    return below + frame[0] + frame[63];\n"
        "}\n"
        "int start(void) { data[0] = 7; return (int)deep(1000); }\n")
    elf = tmp_path / "deep.elf"
    assert main(["ppu", "build", str(src), "-o", str(elf)]) == 0
    assert main(["ppu", "run", str(elf), "--timeout-us", "1000"]) == 1
    out = capsys.readouterr().out
    assert "stack overflow: a stack frame reached 0x" in out, out
