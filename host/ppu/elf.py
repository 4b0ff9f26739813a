"""Reading PPU programs from ELF files: what to load where, symbols and the entry point.

A PPU program is a 32-bit big-endian PowerPC executable whose allocated sections lie in the
PPU's SRAM (0..16 KiB) or the FPGA external memory (128 KiB at 0x4000_0000). The host writes
SRAM words over the omnibus (see `sram_words`) and extmem through the FPGA.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

SRAM_BASE = 0x0000_0000
SRAM_BYTES = 16 * 1024
EXTMEM_BASE = 0x4000_0000
EXTMEM_BYTES = 128 * 1024

MEMORIES: dict[str, tuple[int, int]] = {
    "sram": (SRAM_BASE, SRAM_BYTES),
    "extmem": (EXTMEM_BASE, EXTMEM_BYTES),
}
"""Memory name -> (base address, size in bytes) of what a PPU program may occupy."""


class PpuElfError(Exception):
    """The file is not a loadable PPU program; the message says why."""


@dataclass(frozen=True)
class Segment:
    """Bytes to load at `address` (the file contents of one loadable segment)."""

    memory: str  # "sram" or "extmem"
    address: int
    data: bytes


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int
    size: int


@dataclass(frozen=True)
class PpuProgram:
    """A PPU executable read from an ELF file."""

    path: Path
    entry: int
    segments: tuple[Segment, ...]
    symbols: dict[str, Symbol]
    sections: tuple[tuple[str, int, int], ...]  # allocated sections: (name, address, size)

    def symbol(self, name: str) -> Symbol:
        """The symbol called `name`; a clear error if the program has none."""
        try:
            return self.symbols[name]
        except KeyError:
            raise PpuElfError(f"{self.path}: no symbol {name!r}") from None

    def with_symbol_value(self, name: str, value: int) -> PpuProgram:
        """A copy whose initialised variable `name` (a 1-, 2- or 4-byte integer in a loaded
        segment) holds `value`: how the host passes parameters to a program before loading."""
        sym = self.symbol(name)
        if sym.size not in (1, 2, 4):
            raise PpuElfError(f"{self.path}: symbol {name!r} has size {sym.size}, not 1, 2 or 4")
        data = (value % (1 << 8 * sym.size)).to_bytes(sym.size, "big")
        for i, seg in enumerate(self.segments):
            offset = sym.address - seg.address
            if 0 <= offset and offset + sym.size <= len(seg.data):
                patched = seg.data[:offset] + data + seg.data[offset + sym.size:]
                segments = (*self.segments[:i], replace(seg, data=patched), *self.segments[i + 1:])
                return replace(self, segments=segments)
        raise PpuElfError(f"{self.path}: symbol {name!r} is not in loaded data "
                          f"(give it an initial value so it lands in .data)")

    def segments_in(self, memory: str) -> list[Segment]:
        """The segments to load into `memory` ("sram" or "extmem")."""
        return [s for s in self.segments if s.memory == memory]

    def sram_image(self) -> bytes:
        """The whole 16 KiB SRAM as loaded: segments over zeros."""
        image = bytearray(SRAM_BYTES)
        for seg in self.segments_in("sram"):
            offset = seg.address - SRAM_BASE
            image[offset:offset + len(seg.data)] = seg.data
        return bytes(image)

    def sram_words(self) -> list[tuple[int, int]]:
        """(word index, big-endian 32-bit value) of every SRAM word a segment touches, in order;
        bytes of those words outside the segments are zero. These are the omnibus writes."""
        image = self.sram_image()
        touched = set()
        for seg in self.segments_in("sram"):
            first = (seg.address - SRAM_BASE) // 4
            last = (seg.address - SRAM_BASE + len(seg.data) - 1) // 4
            touched.update(range(first, last + 1))
        return [(i, int.from_bytes(image[4 * i:4 * i + 4], "big")) for i in sorted(touched)]


def read_program(path: str | Path) -> PpuProgram:
    """Read and check a PPU ELF executable."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            return _read(path, ELFFile(stream))
    except FileNotFoundError:
        raise PpuElfError(f"{path}: no such file") from None
    except ELFError as err:
        raise PpuElfError(f"{path}: not a readable ELF file ({err})") from None


def memory_of(address: int, size: int) -> str | None:
    """Name of the memory holding [address, address + size), or None."""
    for name, (base, length) in MEMORIES.items():
        if base <= address and address + size <= base + length:
            return name
    return None


def _read(path: Path, elf: ELFFile) -> PpuProgram:
    if elf.elfclass != 32 or elf.little_endian or elf["e_machine"] != "EM_PPC":
        kind = f"{elf.elfclass}-bit {'little' if elf.little_endian else 'big'}-endian " \
               f"{elf['e_machine']}"
        raise PpuElfError(f"{path}: a {kind} file, not a 32-bit big-endian PowerPC (EM_PPC) one")
    if elf["e_type"] != "ET_EXEC":
        raise PpuElfError(f"{path}: {elf['e_type']} is not an executable (link it first)")
    sections = []
    for sec in elf.iter_sections():
        if not sec["sh_flags"] & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
            continue
        address, size = sec["sh_addr"], sec["sh_size"]
        if memory_of(address, size) is None:
            raise PpuElfError(f"{path}: section {sec.name} at {address:#x}..{address + size:#x} "
                              f"lies outside the PPU's SRAM (0..{SRAM_BYTES:#x}) and extmem "
                              f"({EXTMEM_BASE:#x}..{EXTMEM_BASE + EXTMEM_BYTES:#x})")
        sections.append((sec.name, address, size))
    segments = []
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
            continue
        address, data = seg["p_paddr"], seg.data()
        memory = memory_of(address, len(data))
        if memory is None:
            raise PpuElfError(f"{path}: loadable segment at {address:#x} (+{len(data)} bytes) "
                              f"lies outside the PPU's SRAM and extmem")
        segments.append(Segment(memory, address, bytes(data)))
    symbols = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for sym in symtab.iter_symbols():
            if sym.name and sym["st_shndx"] != "SHN_UNDEF":
                symbols[sym.name] = Symbol(sym.name, sym["st_value"], sym["st_size"])
    return PpuProgram(path, elf["e_entry"], tuple(segments), symbols, tuple(sections))
