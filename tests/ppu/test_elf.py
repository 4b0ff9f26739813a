"""Reading PPU ELF files: segments by memory, SRAM words for omnibus writes, symbols, and clear
errors for files that are no PPU program."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bss2emu.host.ppu import toolchain
from bss2emu.host.ppu.elf import EXTMEM_BASE, PpuElfError, PpuProgram, Segment, read_program
from bss2emu.host.ppu.toolchain import build

PROGRAM = """
#include <stdint.h>
uint32_t counter = 0x11223344;
const uint8_t odd_bytes[5] = {1, 2, 3, 4, 5};
uint32_t in_extmem[4] __attribute__((section(".ext.data"))) = {0xCAFEF00D, 2, 3, 4};
uint32_t scratch[64] __attribute__((section(".ext.bss")));
volatile int index = 4;
int start(void) { scratch[1] = in_extmem[0] + odd_bytes[index]; return (int)counter; }
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> PpuProgram:
    folder = tmp_path_factory.mktemp("elf")
    (folder / "p.c").write_text(PROGRAM)
    return read_program(build([folder / "p.c"], folder / "p.elf"))


def test_symbols_and_entry(program):
    counter = program.symbol("counter")
    assert counter.size == 4 and counter.address < 0x3000
    assert program.entry == program.symbol("__init").address
    with pytest.raises(PpuElfError, match="no symbol 'nothing_here'"):
        program.symbol("nothing_here")


def test_sram_image_holds_initialised_data(program):
    image = program.sram_image()
    assert len(image) == 16 * 1024
    at = program.symbol("counter").address
    assert image[at:at + 4] == bytes.fromhex("11223344")  # big-endian
    at = program.symbol("odd_bytes").address
    assert image[at:at + 5] == bytes([1, 2, 3, 4, 5])


def test_extmem_data_is_a_segment_and_extmem_bss_is_not(program):
    (segment,) = program.segments_in("extmem")
    assert segment.address == program.symbol("in_extmem").address == EXTMEM_BASE
    assert segment.data[:4] == bytes.fromhex("CAFEF00D")
    scratch = program.symbol("scratch")
    assert scratch.address >= EXTMEM_BASE + len(segment.data)  # allocated, never loaded
    assert ".ext.bss" in [name for name, _, _ in program.sections]


def test_sram_words_cover_segments_with_zero_padding():
    # two segments sharing word 1; the bytes around them are zero
    program = PpuProgram(Path("x.elf"), 0, (Segment("sram", 2, b"\xAA\xBB\xCC"),
                                            Segment("sram", 6, b"\xDD"),
                                            Segment("extmem", EXTMEM_BASE, b"\x01\x02\x03\x04")),
                         {}, ())
    assert program.sram_words() == [(0, 0x0000AABB), (1, 0xCC00DD00)]


def test_sram_words_match_image(program):
    image = program.sram_image()
    words = program.sram_words()
    assert words and all(int.from_bytes(image[4 * i:4 * i + 4], "big") == v for i, v in words)
    last = max(a + len(s.data) for s in program.segments_in("sram") for a in [s.address])
    assert words[-1][0] == (last - 1) // 4


def test_rejects_a_section_outside_the_ppu_memories(tmp_path, monkeypatch):
    # the runtime's linker script plus one section in FPGA DRAM (0x5000_0000), which a PPU
    # program may not occupy here
    script = tmp_path / "far.ld"
    text = toolchain.LINKER_SCRIPT.read_text()
    text = text.replace("MEMORY\n{\n", "MEMORY\n{\n    dram : ORIGIN = 0x50000000, LENGTH = 4K\n")
    text = text.replace("    /DISCARD/", "    .far : { KEEP(*(.far)) } > dram\n    /DISCARD/")
    script.write_text(text)
    monkeypatch.setattr(toolchain, "LINKER_SCRIPT", script)
    source = tmp_path / "far.c"
    source.write_text('const int far_word __attribute__((section(".far"), used)) = 1;\n'
                      "int start(void) { return 0; }\n")
    with pytest.raises(PpuElfError, match=r"section \.far at 0x50000000"):
        read_program(toolchain.build([source], tmp_path / "far.elf"))


@pytest.mark.parametrize(("content", "message"), [
    (b"not an elf at all", "not a readable ELF file"),
    # a 64-bit little-endian x86-64 header (EI_CLASS 2, EI_DATA 1, e_machine 62)
    (b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(44), "not a 32-bit big"),
])
def test_rejects_other_files(tmp_path, content, message):
    path = tmp_path / "f.elf"
    path.write_bytes(content)
    with pytest.raises(PpuElfError, match=message):
        read_program(path)


def test_rejects_object_files(tmp_path):
    (tmp_path / "o.c").write_text("int f(void) { return 1; }\n")
    subprocess.run([*toolchain.compiler_command(), *toolchain.TARGET_FLAGS, "-c",
                    str(tmp_path / "o.c"), "-o", str(tmp_path / "o.o")],
                   check=True, capture_output=True)
    with pytest.raises(PpuElfError, match="not an executable"):
        read_program(tmp_path / "o.o")


def test_missing_file(tmp_path):
    with pytest.raises(PpuElfError, match="no such file"):
        read_program(tmp_path / "absent.elf")
