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
