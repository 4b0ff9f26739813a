"""The committed C intrinsics header is the generator's output, and its macros assemble to the
words `encode` gives (compiled with zig cc when it is installed)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from bss2emu.chipsim.ppu.fxv_isa import INSTRUCTIONS, encode, render_c_header, render_markdown_table
from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "ppu_programs" / "runtime" / "include" / "fxv_ops.h"


def test_committed_header_equals_generator():
    assert HEADER.read_text() == render_c_header()


def test_one_macro_per_instruction():
    text = render_c_header()
    for insn in INSTRUCTIONS:
        assert f"#define FXV_{insn.mnemonic[3:].upper()}(" in text


PROGRAM = """
#include "fxv_ops.h"
void kernel(uint32_t *buffer, uint32_t value)
{
    FXV_LAX(1, buffer);
    FXV_SPLATH(2, value);
    FXV_ADDBM(3, 1, 2, 0);
    FXV_MAHFS(4, 3, 2, 2);
    FXV_SHB(5, 4, -3);
    FXV_CMPH(5);
    FXV_PCKBU(6, 4, 5, 1);
    FXV_INX(7, 0x80000u, 3);
    FXV_STAX(6, buffer);
}
"""


def test_macros_assemble_to_the_encoder_words(tmp_path: Path):
    if importlib.util.find_spec("ziglang") is None:
        pytest.fail("the PPU cross compiler (pip package ziglang) is needed for this test")
    (tmp_path / "k.c").write_text(PROGRAM)
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "powerpc-freestanding-eabi",
                    "-mcpu=ppc", "-O2", "-ffreestanding", f"-I{HEADER.parent}", "-c", "k.c",
                    "-o", "k.o"], cwd=tmp_path, check=True, capture_output=True)
    with open(tmp_path / "k.o", "rb") as f:
        text = ELFFile(f).get_section_by_name(".text").data()
    words = [int.from_bytes(text[i:i + 4], "big") for i in range(0, len(text), 4)]
    fxv = [w for w in words if w >> 26 == 4]
    assert fxv == [
        encode("fxvlax", 1, 0, 12), encode("fxvsplath", 2, 11), encode("fxvaddbm", 3, 1, 2),
        encode("fxvmahfs", 4, 3, 2, c=2), encode("fxvshb", 5, 4, -3), encode("fxvcmph", 5),
        encode("fxvpckbu", 6, 4, 5, c=1), encode("fxvinx", 7, 0, 12, c=3),
        encode("fxvstax", 6, 0, 12)]


def test_doc_table_is_the_instruction_table():
    assert render_markdown_table() in (ROOT / "docs" / "ppu_fxv.md").read_text()
