"""The PPU's memory map, defined once (bss2-facts §4; libnux elf32nux.x): SRAM, the FPGA
external memory in its data and instruction windows, and the omnibus window. The host's ELF
loader, the on-chip learning layout and the generated C header of PPU programs use these."""
from __future__ import annotations

from . import fpga_registers as fr
from . import omnibus as ob

SRAM_BASE = 0x0000_0000
SRAM_BYTES = ob.PPU_MEMORY_WORDS * 4  # 16 KiB
EXTMEM_BASE = 0x4000_0000  # external memory, data accesses
EXTMEM_CODE_BASE = 0x8000_0000  # the same bytes, instruction fetches (libnux's .text)
EXTMEM_BYTES = fr.EXTMEM_WORDS * 4  # 128 KiB
OMNIBUS_WINDOW = 0x8000_0000  # data addresses with bit 31 set: omnibus word address << 2
