"""bss2emu: an emulator of the BrainScaleS-2 (HICANN-X v3) chip, its host software and
first-spike-time learning, as one import package.

Subpackages: `bss2emu.chipsim` (the device), `bss2emu.protocol` (every wire and register
layout), `bss2emu.host` (host side: connection, learning, chip in the loop, PPU loading),
`bss2emu.ppu_programs` (PPU runtime and programs) and `bss2emu.tools` (the `bss2emu` command).
In the repository each lives in a top-level folder of its own name.
"""

__version__ = "0.2.0"
