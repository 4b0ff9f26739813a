"""The PPU model built with AddressSanitizer and UndefinedBehaviorSanitizer runs the differential
test (>= 100,000 random instructions and the compiled corpus against unicorn), the fault paths,
random instruction words and random FXV words without a report (a separate build, loaded in a
subprocess)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from bss2emu.chipsim._build_core import make_builder
from bss2emu.host.ppu.elf import read_program
from bss2emu.host.ppu.toolchain import build

from tests.ppu.test_corpus import PROGRAMS_DIR
from tests.sanitized import run_sanitized

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import _bss2_ppu_sanitized as sanitized
    import bss2emu.chipsim.ppu.core as core_module
    core_module.ffi, core_module.lib = sanitized.ffi, sanitized.lib
    from bss2emu.chipsim.ppu.core import PpuCore, Status
    from tests.ppu.test_diff_unicorn import run_chunk

    count = run_chunk(7, 2000, 55)   # >= 100,000 random instructions against unicorn

    # the compiled corpus (images built by the parent): core and unicorn agree
    from pathlib import Path
    from tests.ppu.unicorn_harness import run_core, run_unicorn
    corpus = 0
    for path in sorted(Path(sys.argv[2]).glob("*.bin")):
        image = path.read_bytes()
        ours = run_core(image, max_instructions=2_000_000)
        assert ours.stop == "wait" and not ours.differences(
            run_unicorn(image, max_instructions=2_000_000)), path.name
        corpus += 1

    # fault paths at the edges of the memories, both exception modes
    edges = [0x3FFC, 0x3FFE, 0x3FFF, 0x4000, 0x4000_0000 - 4, 0x4000_0000 + 0x1FFFC,
             0x4002_0000, 0x7FFF_FFFC, 0x8000_0000, 0xFFFF_FFFC]
    ops = [0x80640000, 0x90640000, 0x88640000, 0xA0640000, 0xB8640000, 0xBC640000,
           0x7C0327EC, 0x7C64042C]   # lwz, stw, lbz, lhz, lmw, stmw (r3, 0(r4)), dcbz, lwbrx
    faults = 0
    for halt in (True, False):
        for extmem in (True, None):
            for address in edges:
                for op in ops:
                    core = PpuCore(halt_on_exception=halt, extmem=extmem)
                    core.load(b"".join(w.to_bytes(4, "big") for w in (
                        0x3C800000 | address >> 16, 0x60840000 | (address & 0xFFFF), op,
                        0x7C00007C)), address=0x100)
                    core.state.gpr[3] = 3
                    status = core.run(200)
                    if status == Status.BUS:
                        core.complete(1)
                        status = core.run(400)
                    faults += core.fault is not None
    # execution running off the end of SRAM and of the extmem code view
    core = PpuCore(halt_on_exception=True)
    core.load((0x60000000).to_bytes(4, "big"), address=0x3FFC)
    assert core.run(100) == Status.HALTED and core.fault.pc == 0x4000
    core = PpuCore(halt_on_exception=True, extmem=True)
    core.load((0x60000000).to_bytes(4, "big"), address=0x8001_FFFC)
    assert core.run(100) == Status.HALTED and core.fault.pc == 0x8002_0000

    # fetches at the edges of the code views, and omnibus loads from extmem code completed or
    # failed after the host moved pc to every edge
    for halt in (True, False):
        for extmem in (True, None):
            for pc in (0x3FFC, 0x4000, 0x7FFF_FFFC, 0x8000_0000, 0x8001_FFFC, 0x8002_0000,
                       0xFFFF_FFFC):
                core = PpuCore(halt_on_exception=halt, extmem=extmem)
                core.pc = pc
                core.run(100)
                faults += core.fault is not None
                core = PpuCore(halt_on_exception=halt, extmem=True)
                core.load(b"".join(w.to_bytes(4, "big") for w in (
                    0x3C808000, 0x80640000, 0x7C00007C)), address=0x8001_FFF4)
                assert core.run(100) == Status.BUS          # lis r4,0x8000; lwz r3,0(r4)
                core.pc = pc
                if extmem:
                    core.complete(1)
                else:
                    core_module.lib.bss2_ppu_bus_error(core.state)

    # random instruction words (every decoder path, illegal ones included)
    rng = np.random.default_rng(5)
    for k in range(1500):
        core = PpuCore(halt_on_exception=bool(k % 2), extmem=True)
        core.load(rng.integers(0, 256, 16384, dtype=np.uint8).tobytes())
        for _ in range(20):
            status = core.run(core.cycles + 500)
            if status == Status.BUS:
                core.complete(0x12345678, vector=bytes(128))
            elif status == Status.SLEEPING:
                core.wake()
            elif status == Status.HALTED:
                break

    # every FXV extended opcode with random registers, operands and conditions, and vector
    # memory accesses around the edges of SRAM and extmem
    fxv = 0
    core = PpuCore(halt_on_exception=True, extmem=True)
    for k in range(4000):
        word = (4 << 26) | int(rng.integers(0, 1 << 26))
        state = core.state
        sanitized.ffi.memmove(state.vr, rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
                              4096)
        sanitized.ffi.memmove(state.acc, rng.integers(0, 256, 256, dtype=np.uint8).tobytes(),
                              256)
        for r in range(32):
            state.gpr[r] = int(rng.choice([0, 0x3F80, 0x3FF0, 0x4000_0000 + 0x1FF80,
                                           0x4002_0000, int(rng.integers(0, 1 << 32))]))
        fxv += sanitized.lib.bss2_fxv_execute(state, word) == sanitized.lib.BSS2_EXC_NONE
    print("ok", count, faults, fxv, corpus)
""")


def test_ppu_under_asan_and_ubsan(tmp_path: Path):
    make_builder("_bss2_ppu_sanitized", sanitize=True, part="ppu").compile(tmpdir=str(tmp_path))
    images = tmp_path / "corpus"
    images.mkdir()
    for source in sorted(PROGRAMS_DIR.glob("*.c")):
        elf = build([source], images / f"{source.stem}.elf")
        (images / f"{source.stem}.bin").write_bytes(read_program(elf).sram_image())
    words = run_sanitized(SCRIPT, str(tmp_path), str(images)).split()
    assert words[0] == "ok", words
    assert int(words[1]) >= 100_000       # differential instructions run
    assert int(words[2]) >= 100           # fault paths taken
    assert int(words[3]) >= 200           # FXV instructions that executed (not faulted)
    assert int(words[4]) >= 10            # corpus programs compared
