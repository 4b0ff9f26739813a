"""`bss2emu ppu run`: loads through the protocol, prints exit code, fault and mailbox."""
from __future__ import annotations

from pathlib import Path

import pytest
from bss2emu.tools.cli import main

pytest.importorskip("ziglang")
HELLO = Path(__file__).resolve().parents[2] / "ppu_programs" / "examples" / "hello.c"


def test_build_then_run_prints_exit_code_and_mailbox(tmp_path, capsys):
    elf = tmp_path / "hello.elf"
    assert main(["ppu", "build", str(HELLO), "-o", str(elf)]) == 0
    assert main(["ppu", "run", str(elf), "--hemisphere", "1", "--words", "2"]) == 0
    out = capsys.readouterr().out
    assert "PPU 1: exited with code 0" in out
    assert "hello from the PPU 42" in out
    assert "mailbox words[0:2]: 0x00000000 0x00000000" in out


def test_faulting_program_reports_cause_and_exits_1(tmp_path, capsys):
    src = tmp_path / "bad.c"
    src.write_text("int start(void) { return *(volatile int *)0x30000000; }\n")
    elf = tmp_path / "bad.elf"
    assert main(["ppu", "build", str(src), "-o", str(elf)]) == 0
    assert main(["ppu", "run", str(elf), "--timeout-us", "100"]) == 1
    out = capsys.readouterr().out
    assert "data storage exception at pc 0x" in out and "data address 0x30000000" in out


def test_not_an_elf_is_a_one_line_error(tmp_path, capsys):
    bogus = tmp_path / "x.elf"
    bogus.write_text("hello")
    assert main(["ppu", "run", str(bogus)]) == 2
    assert "not a readable ELF file" in capsys.readouterr().err


def test_set_passes_parameters_and_rejects_bad_ones(tmp_path, capsys):
    src = tmp_path / "param.c"
    src.write_text('#include "ppu.h"\nPPU_PARAMETER int32_t answer = 1;\n'
                   "int start(void) { return answer * 2; }\n")
    elf = tmp_path / "param.elf"
    assert main(["ppu", "build", str(src), "-o", str(elf)]) == 0
    assert main(["ppu", "run", str(elf), "--set", "answer=0x15"]) == 0
    assert "exited with code 42" in capsys.readouterr().out
    assert main(["ppu", "run", str(elf), "--set", "answer"]) == 2
    assert "--set takes NAME=INTEGER" in capsys.readouterr().err
    assert main(["ppu", "run", str(elf), "--set", "nothing=1"]) == 2
    assert "no symbol 'nothing'" in capsys.readouterr().err


def test_unoptimised_build_runs_and_the_run_line_says_how_long(tmp_path, capsys):
    """-O 0 builds (zig's UBSan runtime kept out); the result line gives the emulated time."""
    elf = tmp_path / "hello0.elf"
    assert main(["ppu", "build", str(HELLO), "-O", "0", "-o", str(elf)]) == 0
    assert main(["ppu", "run", str(elf)]) == 0
    out = capsys.readouterr().out
    assert "exited with code 0 after" in out and "us of emulated time" in out


def test_elf_without_the_runtime_or_with_a_corrupt_symtab_is_refused(tmp_path, capsys):
    import struct

    from elftools.elf.elffile import ELFFile

    elf = tmp_path / "hello.elf"
    assert main(["ppu", "build", str(HELLO), "-o", str(elf)]) == 0
    data = bytearray(elf.read_bytes())
    with elf.open("rb") as stream:
        parsed = ELFFile(stream)
        index = [s.name for s in parsed.iter_sections()].index(".symtab")
        header = parsed["e_shoff"] + index * parsed["e_shentsize"]
        loads = [k for k, s in enumerate(parsed.iter_segments()) if s["p_type"] == "PT_LOAD"]
        at_zero = [k for k in loads if parsed.get_segment(k)["p_paddr"] == 0]
        phdr = parsed["e_phoff"] + at_zero[0] * parsed["e_phentsize"]
    moved = bytearray(data)
    struct.pack_into(">I", moved, phdr + 12, 0x100)  # the vector table's p_paddr: no longer 0
    (tmp_path / "moved.elf").write_bytes(moved)
    capsys.readouterr()
    assert main(["ppu", "run", str(tmp_path / "moved.elf")]) == 2
    assert "nothing is loaded at address 0" in capsys.readouterr().err
    corrupt = bytearray(data)
    struct.pack_into(">I", corrupt, header + 20, 0x7FFF_FFFF)  # .symtab sh_size
    (tmp_path / "corrupt.elf").write_bytes(corrupt)
    capsys.readouterr()
    assert main(["ppu", "run", str(tmp_path / "corrupt.elf")]) == 2
    assert "corrupt.elf" in capsys.readouterr().err
