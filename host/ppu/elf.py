"""Reading PPU programs from ELF files: what to load where, symbols and the entry point.

A PPU program is a 32-bit big-endian PowerPC executable whose allocated sections lie in the
PPU's SRAM (0..16 KiB) or the FPGA external memory (128 KiB), which the PPU sees twice: data at
0x4000_0000 + offset, instructions (.ext.text) at 0x8000_0000 + offset. Sections in the two
extmem views are the same bytes, so they must not overlap each other. The host writes SRAM words
over the omnibus (see `sram_words`) and extmem through the FPGA.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

from bss2emu.protocol.ppu_memory import (
    EXTMEM_BASE,
    EXTMEM_BYTES,
    EXTMEM_CODE_BASE,
    SRAM_BASE,
    SRAM_BYTES,
)
from construct import ConstructError
from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from bss2emu.errors import InputError

VIEWS: tuple[tuple[str, int, int], ...] = (
    ("sram", SRAM_BASE, SRAM_BYTES),
    ("extmem", EXTMEM_BASE, EXTMEM_BYTES),
    ("extmem", EXTMEM_CODE_BASE, EXTMEM_BYTES),
)
"""(memory name, base address, size in bytes): the address ranges a PPU program may occupy."""


class PpuElfError(InputError):
    """The file is not a loadable PPU program; the message says why."""


@dataclass(frozen=True)
class Segment:
    """Bytes to load at `address` (the file contents of one loadable segment)."""

    memory: str  # "sram" or "extmem"
    address: int
    data: bytes

    @property
    def offset(self) -> int:
        """Byte offset of the segment in its memory (the same for both extmem views)."""
        return locate(self.address, len(self.data))[1]


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
            image[seg.offset:seg.offset + len(seg.data)] = seg.data
        return bytes(image)

    def sram_words(self) -> list[tuple[int, int]]:
        """(word index, big-endian 32-bit value) of every SRAM word a segment touches, in order;
        bytes of those words outside the segments are zero. These are the omnibus writes."""
        image = self.sram_image()
        touched = set()
        for seg in self.segments_in("sram"):
            first = seg.offset // 4
            last = (seg.offset + len(seg.data) - 1) // 4
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
    except IsADirectoryError:
        raise PpuElfError(f"{path} is a directory, not an ELF file") from None
    except (ValueError, IndexError, KeyError, struct.error, UnicodeDecodeError,
            ConstructError) as err:
        raise PpuElfError(f"{path}: a corrupt ELF file ({type(err).__name__}: {err})") from None


def locate(address: int, size: int) -> tuple[str, int]:
    """(memory name, byte offset) of [address, address + size) in a view of `VIEWS`; a clear
    error when the range lies in none."""
    for name, base, length in VIEWS:
        if base <= address and address + size <= base + length:
            return name, address - base
    raise PpuElfError(f"{address:#x}..{address + size:#x} lies outside the PPU's SRAM "
                      f"(0..{SRAM_BYTES:#x}) and extmem (data {EXTMEM_BASE:#x}.., code "
                      f"{EXTMEM_CODE_BASE:#x}.., {EXTMEM_BYTES:#x} bytes)")


def _check_no_overlap(path: Path, placed: list[tuple[str, int, int, str]]) -> None:
    """Sections (memory, offset, size, name) must not share bytes, also across extmem views."""
    for (memory, offset, size, name), (other_memory, other_offset, _, other) in pairwise(
            sorted(placed)):
        if memory == other_memory and other_offset < offset + size:
            raise PpuElfError(f"{path}: sections {name} and {other} overlap in {memory} "
                              f"(offsets {offset:#x}+{size:#x} and {other_offset:#x})")


def _read(path: Path, elf: ELFFile) -> PpuProgram:
    if elf.elfclass != 32 or elf.little_endian or elf["e_machine"] != "EM_PPC":
        kind = f"{elf.elfclass}-bit {'little' if elf.little_endian else 'big'}-endian " \
               f"{elf['e_machine']}"
        raise PpuElfError(f"{path}: a {kind} file, not a 32-bit big-endian PowerPC (EM_PPC) one")
    if elf["e_type"] != "ET_EXEC":
        raise PpuElfError(f"{path}: {elf['e_type']} is not an executable (link it first)")
    sections, placed = [], []
    for sec in elf.iter_sections():
        if not sec["sh_flags"] & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
            continue
        address, size = sec["sh_addr"], sec["sh_size"]
        try:
            placed.append((*locate(address, size), size, sec.name))
        except PpuElfError as err:
            raise PpuElfError(f"{path}: section {sec.name} at {err}") from None
        sections.append((sec.name, address, size))
    _check_no_overlap(path, placed)
    segments = []
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
            continue
        address, data = seg["p_paddr"], seg.data()
        try:
            memory, _ = locate(address, len(data))
        except PpuElfError as err:
            raise PpuElfError(f"{path}: loadable segment at {err}") from None
        segments.append(Segment(memory, address, bytes(data)))
    if not any(seg.memory == "sram" and seg.address <= SRAM_BASE < seg.address + len(seg.data)
               for seg in segments):
        raise PpuElfError(f"{path}: nothing is loaded at address 0, where the PPU starts after "
                          f"reset (entry {elf['e_entry']:#x}); link it with the PPU runtime "
                          "(bss2emu ppu build), whose vector table starts there")
    symbols = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for sym in symtab.iter_symbols():
            if sym.name and sym["st_shndx"] != "SHN_UNDEF":
                symbols[sym.name] = Symbol(sym.name, sym["st_value"], sym["st_size"])
    return PpuProgram(path, elf["e_entry"], tuple(segments), symbols, tuple(sections))
