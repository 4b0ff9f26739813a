"""Cross-compiling C programs for the PPU with `zig cc`: runtime files, flags and clear errors.

Every program is linked with the runtime in ppu_programs/runtime (vector table and start-up code,
mailbox text output, alignment-safe memcpy & co.) by its linker script; zig links its compiler_rt
for soft-float and 64-bit arithmetic. The mailbox layout is read from the runtime's header, the
one place that defines it.
"""
from __future__ import annotations

import importlib.util
import logging
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from bss2emu.ppu_programs import RUNTIME_DIR  # crt.S, ppu.ld, runtime C files, include/

RUNTIME_INCLUDE_DIR = RUNTIME_DIR / "include"
LINKER_SCRIPT = RUNTIME_DIR / "ppu.ld"
RUNTIME_SOURCES: tuple[Path, ...] = tuple(
    RUNTIME_DIR / name for name in ("crt.S", "mailbox.c", "string.c", "float_compare.c")
)

TARGET_FLAGS: tuple[str, ...] = ("-target", "powerpc-freestanding-eabi", "-mcpu=ppc")
"""32-bit big-endian Power ISA; the eabi ABI gives soft-float (no FPU on the PPU)."""

CODE_FLAGS: tuple[str, ...] = (
    "-std=gnu17",
    "-ffreestanding",  # no hosted libc; also stops clang turning loops into library calls
    "-fno-asynchronous-unwind-tables",  # no .eh_frame: nothing unwinds on the PPU
    "-fno-unwind-tables",
    "-fomit-frame-pointer",  # zig keeps r31 as frame pointer by default
    "-ffunction-sections",  # with --gc-sections: only what is called ends up in the 16 KiB
    "-fdata-sections",
    "-fno-sanitize=undefined",  # zig enables its UBSan runtime at -O0: far too large for SRAM
    "-g0",
    "-Wall",
)

OPTIMIZATION_LEVELS = frozenset({"-O0", "-O1", "-O2", "-O3", "-Os", "-Oz"})
SOURCE_SUFFIXES = frozenset({".c", ".S", ".s"})
COMPILE_TIMEOUT_S = 600.0  # a first build also compiles compiler_rt (cached in ~/.cache/zig)

INSTALL_HINT = "install the dev extras: pip install -e '.[dev]' (or the ppu extra: '.[ppu]')"

log = logging.getLogger(__name__)


class ToolchainError(Exception):
    """A PPU build failed; the message is a one-line summary, then the compiler's own output."""


def build(
    sources: Iterable[str | Path],
    output: str | Path,
    *,
    opt: str = "-O2",
    defines: Mapping[str, str | int | None] | None = None,
    include_dirs: Sequence[str | Path] = (),
) -> Path:
    """Compile and link C/assembly `sources` with the PPU runtime into the ELF file `output`.

    `defines` become -DNAME[=VALUE]; `include_dirs` are searched before the runtime's headers.
    Compiler warnings go to this module's logger. Returns the output path.
    """
    sources = [Path(s) for s in sources]
    if not sources:
        raise ToolchainError("no source files given")
    for source in sources:
        if source.suffix not in SOURCE_SUFFIXES:
            raise ToolchainError(f"{source}: not a C or assembly source "
                                 f"(expected {', '.join(sorted(SOURCE_SUFFIXES))})")
        if not source.is_file():
            raise ToolchainError(f"{source}: no such file")
    if opt not in OPTIMIZATION_LEVELS:
        raise ToolchainError(f"unknown optimisation level {opt!r} "
                             f"(one of {', '.join(sorted(OPTIMIZATION_LEVELS))})")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [*compiler_command(), *TARGET_FLAGS, *CODE_FLAGS, opt,
               *_define_flags(defines or {}),
               *(f"-I{Path(d)}" for d in include_dirs), f"-I{RUNTIME_INCLUDE_DIR}",
               *map(str, RUNTIME_SOURCES), *map(str, sources),
               f"-Wl,-T,{LINKER_SCRIPT}", "-Wl,-e,__init", "-Wl,--gc-sections", "-o", str(output)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"zig cc did not finish within {COMPILE_TIMEOUT_S:.0f} s") from None
    names = ", ".join(s.name for s in sources)
    if done.returncode != 0:
        raise ToolchainError(f"building {names} failed (zig cc exit code {done.returncode})\n"
                             f"{done.stderr.rstrip()}")
    if done.stderr.strip():
        log.warning("zig cc warnings for %s:\n%s", names, done.stderr.rstrip())
    return output


def compiler_command() -> list[str]:
    """The command that runs zig's C compiler (from the `ziglang` package)."""
    if importlib.util.find_spec("ziglang") is None:
        raise ToolchainError(f"the PPU cross compiler (Python package ziglang) is missing: "
                             f"{INSTALL_HINT}")
    return [sys.executable, "-m", "ziglang", "cc"]


def _define_flags(defines: Mapping[str, str | int | None]) -> list[str]:
    flags = []
    for name, value in defines.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ToolchainError(f"bad preprocessor macro name {name!r}")
        flags.append(f"-D{name}" if value is None else f"-D{name}={value}")
    return flags


@cache
def mailbox_layout() -> dict[str, int]:
    """The `MAILBOX_*` numbers of the runtime's mailbox.h (offsets, sizes, magic values), keyed
    by the name without the prefix, e.g. ``mailbox_layout()["EXIT_CODE"] == 4``."""
    text = (RUNTIME_INCLUDE_DIR / "mailbox.h").read_text()
    return {name: int(value, 0) for name, value in
            re.findall(r"^#define MAILBOX_(\w+) (0x[0-9A-Fa-f]+|\d+)\b", text, re.MULTILINE)}
