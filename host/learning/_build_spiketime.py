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
ffibuilder.cdef("""
void bss2_first_spikes(const double *times, const int64_t *order, int64_t batch, int64_t n_in,
                       const double *weights, int64_t n_out, double c, int32_t ratio,
                       double *first, double *last);
void bss2_layer_backward(const double *t, const double *big_t, const double *horizon,
                         const double *weights, const double *out_error, int64_t batch,
                         int64_t n_in, int64_t n_out, double c, double tau, int32_t ratio,
                         double max_dw_norm, double *grad, double *in_error);
""")
ffibuilder.set_source("bss2emu.host.learning._spiketime", '#include "spiketime.h"',
                      sources=[os.path.relpath(CSRC / "spiketime.c")],
                      include_dirs=[os.path.relpath(CSRC)], extra_compile_args=FLAGS,
                      libraries=["m"])
