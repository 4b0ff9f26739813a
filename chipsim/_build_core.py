"""cffi build script for the C core (out-of-line API mode).

Used by setup.py (`cffi_modules`) and by the sanitizer test, which builds the same sources
into a separate module with AddressSanitizer/UBSan: `make_builder(module, sanitize=True)`.
"""
from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent / "csrc"
SOURCES = ["lif.c", "noise.c", "event_engine.c", "stepped_engine.c", "synapse_io.c"]
# No FMA contraction: the Python reference must reproduce the C results bit for bit.
BASE_FLAGS = ["-O3", "-std=c11", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno",
              "-Wall", "-Wextra", "-Wno-unused-parameter"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=undefined"]


def make_builder(module: str = "chipsim._core", sanitize: bool = False) -> FFI:
    """Return an FFI builder for the core, optionally instrumented with ASan/UBSan (that
    build compiles elsewhere, so it names the sources by absolute path)."""

    def path(p: Path) -> str:
        # setuptools insists on relative source paths (it builds from the project root)
        return str(p) if sanitize else os.path.relpath(p)

    ffi = FFI()
    ffi.cdef((CSRC / "core_api.h").read_text())
    flags = BASE_FLAGS + (SANITIZE_FLAGS if sanitize else [])
    ffi.set_source(
        module,
        '#include "core.h"',
        sources=[path(CSRC / s) for s in SOURCES],
        include_dirs=[path(CSRC)],
        extra_compile_args=flags,
        extra_link_args=SANITIZE_FLAGS if sanitize else [],
        libraries=["m"],
    )
    return ffi


ffibuilder = make_builder()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
