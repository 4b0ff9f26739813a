"""PPU memory words, control and status registers, and the bss2emu debug words."""
from __future__ import annotations

from ..container import container

PPU_MEMORY_WORD = container("ppu_memory_word", [("value", 32)])
"""One word of the 16 KiB SRAM; byte address 4w is bits 31..24 (big-endian)."""

PPU_CONTROL = container(
    "ppu_control", [("inhibit_reset", 1), ("force_clock_on", 1), ("force_clock_off", 1),
                    ("cache_controller_enable", 1)])
"""inhibit_reset 1 runs the core, 0 holds it in reset (restart from PC 0)."""

PPU_STATUS = container("ppu_status", [("sleep", 1)])
"""Read-only: the core executed `wait` (a finished program sleeps)."""

PPU_DEBUG = container("ppu_debug", [("value", 32)])
"""bss2emu extension, read-only: program counter / last exception cause / its PC."""

PPU_STACK_LIMIT = container("ppu_stack_limit", [("address", 32)])
"""bss2emu extension: the stack guard. A store addressed through r1 (the stack pointer) below
`address` raises a data storage exception (ESR ST, DEAR the address) instead of overwriting
what lies below the stack; 0 turns it off. Kept by the core's reset; `bss2emu ppu run` and the
on-chip learning loader set it to the end of the program's .bss plus its red zone."""
