"""The PPU toolchain driver and runtime: zig cc flags, the vector table and start-up code the
linker script places, the mailbox numbers shared by C and Python, and clear build errors."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from bss2emu.host.ppu import toolchain
from bss2emu.host.ppu.elf import read_program
from bss2emu.host.ppu.toolchain import ToolchainError, build, mailbox_layout

EXAMPLES = Path(__file__).resolve().parents[2] / "ppu_programs" / "examples"

VECTOR_HANDLERS = ("__init", "__fault_machine_check", "__fault_critical_input",
                   "__fault_data_storage", "__fault_instruction_storage",
                   "__fault_external_input", "__fault_alignment", "__fault_program",
                   "__fault_system_call", "__fault_doorbell", "__fault_critical_doorbell",
                   "__fault_fixed_interval_timer", "__fault_decrementer")
"""Power ISA Book III-E interrupt order of the Nux vector table (bss2-facts section 4.1)."""


@pytest.fixture(scope="module")
def hello(tmp_path_factory):
    return read_program(build([EXAMPLES / "hello.c"], tmp_path_factory.mktemp("hello") / "h.elf"))


def _word(image: bytes, address: int) -> int:
    return int.from_bytes(image[address:address + 4], "big")


def test_vector_table_branches_to_handlers(hello):
    # 13 word branches at 0: `b target` is primary opcode 18 with AA = LK = 0 and a signed
    # 24-bit word offset (Power ISA Book I, I-form)
    image = hello.sram_image()
    for slot, handler in enumerate(VECTOR_HANDLERS):
        word = _word(image, 4 * slot)
        assert word >> 26 == 18 and word & 3 == 0
        offset = word & 0x03FF_FFFC
        offset -= (offset & 0x0200_0000) << 1
        assert 4 * slot + offset == hello.symbol(handler).address, handler
    assert hello.entry == hello.symbol("__init").address


def test_linker_script_symbols_match_mailbox_header(hello):
    layout = mailbox_layout()
    assert hello.symbol("mailbox_base").address == layout["BASE"] == 0x3000
    assert hello.symbol("stack_ptr_init").address == layout["BASE"] - 16
    assert hello.symbol("mailbox_end").address == 16 * 1024
    assert hello.symbol("heap_base").address >= hello.symbol("__bss_end").address + 128


def test_mailbox_layout_fields_do_not_overlap():
    layout = mailbox_layout()
    words = [layout[name] for name in ("EXIT_MAGIC", "EXIT_CODE", "FAULT_MAGIC", "FAULT_VECTOR",
                                       "FAULT_SRR0", "FAULT_ESR", "FAULT_DEAR", "FAULT_INSN",
                                       "TEXT_LENGTH")]
    assert len(set(words)) == len(words) and all(w % 4 == 0 for w in words)
    assert max(words) + 4 <= layout["USER_WORDS"]
    assert layout["USER_WORDS"] + 4 * layout["USER_WORDS_COUNT"] <= layout["TEXT"]
    assert layout["TEXT"] + layout["TEXT_SIZE"] == layout["SIZE"]
    assert layout["EXIT_MAGIC_VALUE"].to_bytes(4, "big") == b"EXIT"


def test_exit_stores_code_then_waits(hello):
    # the word at __exit_wait is `wait` (X-form 31/62), followed by a branch back to it
    image = hello.sram_image()
    at = hello.symbol("__exit_wait").address
    assert _word(image, at) == (31 << 26) | (62 << 1)
    assert _word(image, at + 4) == 0x4BFF_FFFC  # b . - 4


def test_only_called_code_is_linked(tmp_path):
    # gc-sections keeps compiler_rt's 26 KiB constant block (its math tables) out; the soft-float
    # comparisons come from the runtime
    source = tmp_path / "cmp.c"
    source.write_text("volatile double a = 1.5, b = 2.5;\n"
                      "int start(void) { return (a < b) + 2 * (a >= b) + 4 * (a == a); }\n")
    program = read_program(build([source], tmp_path / "cmp.elf"))
    size = max(address + length for _, address, length in program.sections)
    assert size < 4096
    assert "__ltdf2" in program.symbols and "__gedf2" in program.symbols


def test_defines_and_include_dirs(tmp_path):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "value.h").write_text("#define FROM_HEADER 5\n")
    source = tmp_path / "d.c"
    source.write_text('#include "value.h"\nint marker[FROM_HEADER + SIZE];\n'
                      "int start(void) { return marker[0]; }\n")
    program = read_program(build([source], tmp_path / "d.elf", defines={"SIZE": 3, "FLAG": None},
                                 include_dirs=[tmp_path / "inc"]))
    assert program.symbol("marker").size == 4 * 8


def test_compiler_errors_are_passed_on_verbatim(tmp_path):
    source = tmp_path / "broken.c"
    source.write_text("int start(void) { return undeclared_thing; }\n")
    with pytest.raises(ToolchainError) as err:
        build([source], tmp_path / "b.elf")
    summary, _, details = str(err.value).partition("\n")
    assert summary.startswith("building broken.c failed")
    assert "undeclared_thing" in details and "broken.c:1:" in details


def test_too_large_program_is_a_link_error(tmp_path):
    source = tmp_path / "big.c"
    source.write_text("const char table[14000] = {1};\nvolatile int index;\n"
                      "int start(void) { return table[index]; }\n")
    with pytest.raises(ToolchainError, match="program too large|overflowed"):
        build([source], tmp_path / "big.elf")


@pytest.mark.parametrize(("sources", "kwargs", "message"), [
    ([], {}, "no source files"),
    (["missing.c"], {}, "no such file"),
    (["notes.txt"], {}, "not a C or assembly source"),
    (["ok.c"], {"opt": "-O9"}, "unknown optimisation level"),
    (["ok.c"], {"defines": {"1BAD": 1}}, "bad preprocessor macro name"),
])
def test_bad_arguments(tmp_path, sources, kwargs, message):
    (tmp_path / "ok.c").write_text("int start(void) { return 0; }\n")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ToolchainError, match=message):
        build([tmp_path / s for s in sources], tmp_path / "x.elf", **kwargs)


def test_missing_ziglang_names_the_install_command(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(toolchain.importlib.util, "find_spec",
                        lambda name, *a: None if name == "ziglang" else real(name, *a))
    (tmp_path / "ok.c").write_text("int start(void) { return 0; }\n")
    with pytest.raises(ToolchainError, match=re.escape("pip install -e '.[dev]'")):
        build([tmp_path / "ok.c"], tmp_path / "x.elf")
