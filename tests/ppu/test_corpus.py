"""Differential test over the corpus of C programs (tests/ppu/programs): each runs to its exit
`wait` on unicorn and on our core; registers and the whole SRAM must agree, and the checksum the
program returns must equal the one the same source gives compiled natively with gcc."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bss2emu.host.ppu.elf import PpuProgram, read_program
from bss2emu.host.ppu.toolchain import build, mailbox_layout

from tests.ppu.unicorn_harness import State, run_core, run_unicorn

PROGRAMS_DIR = Path(__file__).parent / "programs"
PROGRAMS = sorted(p.stem for p in PROGRAMS_DIR.glob("*.c"))
MAX_INSTRUCTIONS = 2_000_000  # the largest corpus program retires ~0.2 M

NATIVE_MAIN = """
#include <stdio.h>
int start(void);
int main(void) { printf("%u\\n", (unsigned)start()); return 0; }
"""
NATIVE_FLAGS = (
    "-O2", "-std=gnu17",
    "-funsigned-char",  # plain char is unsigned in the PowerPC ABI
    "-ffp-contract=off",  # no fused multiply-add: the PPU's soft-float rounds every operation
    "-fwrapv",
)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, PpuProgram]:
    """Every corpus program built once per session."""
    folder = tmp_path_factory.mktemp("ppu_corpus")
    return {name: read_program(build([PROGRAMS_DIR / f"{name}.c"], folder / f"{name}.elf"))
            for name in PROGRAMS}


@pytest.fixture(scope="session")
def native_checksums(tmp_path_factory) -> dict[str, int]:
    """start()'s return value of every program compiled for and run on the host."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.fail("a native C compiler (gcc) is needed for the corpus expectations")
    folder = tmp_path_factory.mktemp("native_corpus")
    main = folder / "main.c"
    main.write_text(NATIVE_MAIN)
    checksums = {}
    for name in PROGRAMS:
        binary = folder / name
        subprocess.run([compiler, *NATIVE_FLAGS, str(PROGRAMS_DIR / f"{name}.c"), str(main),
                        "-o", str(binary)], check=True, capture_output=True)
        done = subprocess.run([str(binary)], check=True, capture_output=True, text=True,
                              timeout=30)
        checksums[name] = int(done.stdout)
    return checksums


def _exit(state: State) -> tuple[int, int]:
    """(exit magic, exit code) from the mailbox in the final SRAM."""
    layout = mailbox_layout()
    word = lambda offset: int.from_bytes(  # noqa: E731
        state.sram[layout["BASE"] + offset:layout["BASE"] + offset + 4], "big")
    return word(layout["EXIT_MAGIC"]), word(layout["EXIT_CODE"])


def test_corpus_is_complete():
    assert len(PROGRAMS) >= 10


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_checksum_on_unicorn(name, corpus, native_checksums):
    state = run_unicorn(corpus[name].sram_image(), max_instructions=MAX_INSTRUCTIONS)
    assert state.stop == "wait"
    magic, code = _exit(state)
    assert magic == mailbox_layout()["EXIT_MAGIC_VALUE"]
    assert code == native_checksums[name]


@pytest.mark.parametrize("name", PROGRAMS)
def test_core_matches_unicorn(name, corpus, native_checksums):
    image = corpus[name].sram_image()
    ours = run_core(image, max_instructions=MAX_INSTRUCTIONS)
    reference = run_unicorn(image, max_instructions=MAX_INSTRUCTIONS)
    assert ours.stop == "wait", f"{name} stopped with {ours.stop} at pc {ours.pc:#x}"
    assert ours.differences(reference) == []
    assert _exit(ours)[1] == native_checksums[name]
