"""cffi build scripts for the C cores (out-of-line API mode): the neuron/network core
(`bss2emu.chipsim._core`) and the PPU (`bss2emu.chipsim._ppu`).

Used by setup.py (`cffi_modules`) and by the sanitizer tests, which build the same sources
into a separate module with AddressSanitizer/UBSan: `make_builder(module, sanitize=True)`.
Rebuild in place during development with `pip install -e . --no-deps`.
"""
from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent / "csrc"
SOURCES = ["lif.c", "noise.c", "event_engine.c", "stepped_engine.c", "linear_propagator.c",
           "synapse_io.c", "event_timing.c", "advance_many.c", "simd.c", "output_records.c"]
PPU_SOURCES = ["ppu_core.c", "ppu_fxv.c", "ppu_memory.c"]
#: what each extension is made of: (cdef headers, C include, sources)
PARTS = {"core": (("core_api.h",), "core.h", SOURCES),
         "ppu": (("ppu_api.h",), "ppu.h", PPU_SOURCES)}
# No FMA contraction: the Python reference must reproduce the C results bit for bit.
BASE_FLAGS = ["-O3", "-std=c11", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno",
              "-Wall", "-Wextra", "-Wno-unused-parameter"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                  "-fno-sanitize-recover=undefined"]


def make_builder(module: str = "bss2emu.chipsim._core", sanitize: bool = False,
                 part: str = "core") -> FFI:
    """Return an FFI builder for one part ("core" or "ppu"), optionally instrumented with
    ASan/UBSan (that build compiles elsewhere, so it names the sources by absolute path)."""
    cdefs, include, sources = PARTS[part]

    def path(p: Path) -> str:
        # setuptools insists on relative source paths (it builds from the project root)
        return str(p) if sanitize else os.path.relpath(p)

    ffi = FFI()
    ffi.cdef("\n".join((CSRC / cdef).read_text() for cdef in cdefs))
    flags = BASE_FLAGS + (SANITIZE_FLAGS if sanitize else [])
    ffi.set_source(
        module,
        f'#include "{include}"',
        sources=[path(CSRC / s) for s in sources],
        include_dirs=[path(CSRC)],
        extra_compile_args=flags,
        extra_link_args=SANITIZE_FLAGS if sanitize else [],
        libraries=["m"],
    )
    return ffi


ffibuilder = make_builder()
ppu_ffibuilder = make_builder("bss2emu.chipsim._ppu", part="ppu")
