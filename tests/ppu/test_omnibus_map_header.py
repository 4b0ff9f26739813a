"""PPU programs take addresses, strides and clocks from the generated omnibus_map.h: the
committed file is the generator's output, and the C core's memory sizes agree with it."""
from __future__ import annotations

from pathlib import Path

from bss2emu.chipsim.ppu.core import EXTMEM_BYTES
from bss2emu.protocol import ppu_memory as pm
from bss2emu.protocol.ppu_header import render

HEADER = Path(__file__).resolve().parents[2] / "ppu_programs" / "runtime" / "include" / \
    "omnibus_map.h"


def test_committed_header_equals_generator():
    assert HEADER.read_text() == render(), \
        "run: python -m bss2emu.protocol.ppu_header > ppu_programs/runtime/include/omnibus_map.h"


def test_header_carries_the_haldls_neuron_stride_and_memory_map():
    text = render()
    assert "#define OMNIBUS_NEURON_STRIDE 4u" in text
    assert "#define PPU_EXTMEM_CODE_BASE 0x80000000u" in text
    assert "#define PPU_CYCLES_PER_US 250u" in text


def test_c_core_memory_sizes_match_the_protocol():
    from bss2emu.chipsim._ppu import lib

    assert (lib.BSS2_PPU_SRAM_BYTES, lib.BSS2_PPU_EXTMEM_BYTES) == (pm.SRAM_BYTES,
                                                                   pm.EXTMEM_BYTES)
    assert (lib.BSS2_PPU_EXTMEM_BASE, lib.BSS2_PPU_EXTMEM_CODE_BASE) == (
        pm.EXTMEM_BASE, pm.EXTMEM_CODE_BASE)
    assert EXTMEM_BYTES == pm.EXTMEM_BYTES
