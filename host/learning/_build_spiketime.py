"""cffi build script of the first-spike-time kernels (forward, one layer's backward pass):
`bss2emu.host.learning._spiketime`, used by setup.py (`cffi_modules`); the same floating-point
rules as the chip's core (no FMA contraction, no fast math), so the kernels match their numpy
references to rounding."""
from __future__ import annotations

import os
from pathlib import Path

from cffi import FFI

CSRC = Path(__file__).resolve().parent / "csrc"
FLAGS = ["-O3", "-std=c11", "-ffp-contract=off", "-fno-fast-math", "-fno-math-errno",
         "-Wall", "-Wextra"]

ffibuilder = FFI()
# the declarations once, in the header (cffi reads it without its preprocessor lines)
ffibuilder.cdef("\n".join(line for line in (CSRC / "spiketime.h").read_text().splitlines()
                           if not line.startswith("#")))
ffibuilder.set_source("bss2emu.host.learning._spiketime", '#include "spiketime.h"',
                      sources=[os.path.relpath(CSRC / "spiketime.c")],
                      include_dirs=[os.path.relpath(CSRC)], extra_compile_args=FLAGS,
                      libraries=["m"])
