"""FXV instructions run by the scalar core (bss2_ppu_run): results, the cycles the unit
charges, a vector alignment fault taken as an exception, and a parallel-I/O bus stop that
bss2_ppu_complete finishes."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim._ppu import ffi, lib
from bss2emu.chipsim.ppu.fxv_isa import BY_MNEMONIC, encode

WAIT = 0x7C00007C  # `wait` (X-form 31/62): sleep


def core_with(words: list[int], gpr: dict[int, int]) -> object:
    p = ffi.new("bss2_ppu *")
    lib.bss2_ppu_reset(p)
    p.exception_mode = lib.BSS2_PPU_HALT_ON_EXCEPTION
    program = b"".join(w.to_bytes(4, "big") for w in words + [WAIT])
    ffi.memmove(p.sram, program, len(program))
    for reg, value in gpr.items():
        p.gpr[reg] = value
    return p


def test_load_add_store_through_the_core():
    p = core_with([encode("fxvlax", 1, 0, 3), encode("fxvsplatb", 2, 4),
                   encode("fxvaddbm", 1, 1, 2), encode("fxvstax", 1, 0, 5)],
                  {3: 0x1000, 4: 3, 5: 0x1080})
    data = np.arange(128, dtype=np.uint8)
    ffi.memmove(p.sram + 0x1000, data.tobytes(), 128)
    assert lib.bss2_ppu_run(p, 10_000) == lib.BSS2_PPU_SLEEPING
    out = np.frombuffer(ffi.buffer(p.sram + 0x1080, 128), dtype=np.uint8)
    assert np.array_equal(out, data + 3)
    vector_cycles = sum(BY_MNEMONIC[m].cycles for m in ("fxvlax", "fxvsplatb", "fxvaddbm",
                                                         "fxvstax"))
    assert p.cycles >= vector_cycles and p.instret == 5


def test_misaligned_vector_load_halts_with_alignment():
    p = core_with([encode("fxvlax", 1, 0, 3)], {3: 0x1004})
    assert lib.bss2_ppu_run(p, 10_000) == lib.BSS2_PPU_HALTED
    assert p.last_cause == lib.BSS2_EXC_ALIGNMENT and p.last_addr == 0x1004 and p.last_pc == 0


def test_vector_input_stops_for_the_bus_and_completes():
    p = core_with([encode("fxvinx", 6, 3, 4, c=0)], {3: 0x80000, 4: 0x10})
    assert lib.bss2_ppu_run(p, 10_000) == lib.BSS2_PPU_BUS
    assert p.bus_kind == lib.BSS2_BUS_VIN and p.bus_addr == 0x80010 and p.bus_reg == 6
    ffi.memmove(p.bus_vector, bytes(range(128, 256)), 128)
    lib.bss2_ppu_complete(p)
    assert bytes(p.vr[6]) == bytes(range(128, 256)) and p.pc == 4
    assert lib.bss2_ppu_run(p, 10_000) == lib.BSS2_PPU_SLEEPING
