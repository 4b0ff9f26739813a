"""The on-chip learning program: built once per source version with the PPU toolchain and
cached in the user's cache directory, then given the run's parameters in its image."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bss2emu.host.ppu.elf import EXTMEM_BASE, EXTMEM_CODE_BASE, PpuProgram, read_program
from bss2emu.host.ppu.toolchain import RUNTIME_DIR, build
from bss2emu.ppu_programs import ROOT as PROGRAMS_ROOT

LEARNING_DIR = PROGRAMS_ROOT / "learning"
SOURCES = ("onchip.c", "fsgrad.c", "fixed.c")
#: stack the program needs below the mailbox (fs_layer_backward: 128 words of buffer plus the
#: frames of the call chain; measured peak ~1 KiB): the linker alone guarantees 256 bytes
STACK_BYTES = 1536


def cache_dir() -> Path:
    """$BSS2EMU_CACHE, else $XDG_CACHE_HOME/bss2emu, else ~/.cache/bss2emu."""
    if "BSS2EMU_CACHE" in os.environ:
        return Path(os.environ["BSS2EMU_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bss2emu"


def _fingerprint() -> str:
    """Hash of every file the program is built from (its sources and the runtime)."""
    digest = hashlib.sha256()
    files = sorted([*LEARNING_DIR.glob("*.[ch]"), *RUNTIME_DIR.rglob("*.[chSld]*")])
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def onchip_program() -> PpuProgram:
    """The learning program's ELF, built on first use (a few seconds) and cached."""
    output = cache_dir() / "ppu" / f"onchip-{_fingerprint()}.elf"
    if not output.exists():
        partial = output.with_suffix(f".{os.getpid()}.tmp")
        build([LEARNING_DIR / s for s in SOURCES], partial, opt="-O2",
              include_dirs=[LEARNING_DIR])
        _check_stack(partial)
        partial.replace(output)
    return read_program(output)


def _check_stack(path: Path) -> None:
    """Refuse a build whose SRAM code and data leave less than STACK_BYTES of stack: an
    overflowing stack would silently corrupt code on the PPU."""
    from bss2emu.host.ppu.toolchain import ToolchainError, mailbox_layout
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as handle:
        end = max((s["sh_addr"] + s["sh_size"] for s in ELFFile(handle).iter_sections()
                   if s["sh_flags"] & 2 and s["sh_addr"] < mailbox_layout()["BASE"]), default=0)
    free = mailbox_layout()["BASE"] - 16 - end
    if free < STACK_BYTES:
        raise ToolchainError(f"the on-chip learning program leaves {free} bytes of PPU stack, "
                             f"it needs {STACK_BYTES}: move cold code to external memory")


def extmem_used(program: PpuProgram) -> int:
    """Bytes at the start of external memory that the program's own sections occupy (code
    fetched from 0x8000_0000, data and .ext.bss at 0x4000_0000; the runtime places them
    first): the learning state goes after them."""
    from elftools.elf.elffile import ELFFile

    end = 0
    with open(program.path, "rb") as handle:
        for section in ELFFile(handle).iter_sections():
            address, size = section["sh_addr"], section["sh_size"]
            for base in (EXTMEM_BASE, EXTMEM_CODE_BASE):
                if size and base <= address < base + (1 << 24):
                    end = max(end, address - base + size)
    return -(-end // 128) * 128


def with_parameters(program: PpuProgram, values: dict[str, int]) -> PpuProgram:
    """The program with each PPU_PARAMETER in `values` set."""
    for name, value in values.items():
        program = program.with_symbol_value(name, int(value))
    return program
