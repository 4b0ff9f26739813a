"""The event engine's exponential: the C core and the Python definition (which the reference
engine uses) give the same double everywhere, within one unit in the last place of e^x, and
the C table is the one the definition generates."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from bss2emu.chipsim import exp_kernel
from bss2emu.chipsim.engine import ffi, lib


def _c_exp(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    lib.bss2_exp_many(ffi.cast("double *", x.ctypes.data), ffi.cast("double *", out.ctypes.data),
                      x.size)
    return out


def _inputs() -> np.ndarray:
    rng = np.random.default_rng(3)
    special = [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1.0, -1.0, math.log(2) / 256,
               -math.log(2) / 256, 709.78, 709.7799, -745.2, -745.19, -745.0, -708.4, -708.3,
               -1022 * math.log(2), -1074 * math.log(2), 710.0, -746.0, math.inf, -math.inf,
               math.nan]
    return np.concatenate([special, rng.uniform(-745.5, 709.9, 40_000),
                           -rng.exponential(3.0, 40_000), rng.uniform(-1e-3, 1e-3, 10_000),
                           -rng.uniform(0, 1, 10_000) * 2.0 ** -rng.integers(0, 60, 10_000)])


def test_c_and_python_agree_bit_for_bit():
    x = _inputs()
    c = _c_exp(x)
    py = np.array([exp_kernel.exp(float(v)) for v in x])
    assert np.array_equal(c.view(np.uint64), py.view(np.uint64))


def test_within_one_ulp_of_the_true_value():
    x = _inputs()
    x = x[np.isfinite(x) & (x > -708.3) & (x < 709.7)]  # normal results
    y = _c_exp(x)
    truth = np.exp(x.astype(np.longdouble))  # 64-bit mantissa: far below a double's ulp
    err = np.abs((y.astype(np.longdouble) - truth) / np.spacing(np.exp(x)))
    assert err.max() < 1.0


def test_limits():
    y = _c_exp(np.array([math.inf, 710.0, -math.inf, -746.0, math.nan, 0.0]))
    assert y[0] == math.inf and y[1] == math.inf and y[2] == 0.0 and y[3] == 0.0
    assert math.isnan(y[4]) and y[5] == 1.0
    assert _c_exp(np.array([-745.0]))[0] == 5e-324  # the smallest subnormal, as math.exp


def test_table_header_is_generated_from_the_definition():
    header = Path(exp_kernel.__file__).parent / "csrc" / "exp_table.h"
    assert header.read_text() == exp_kernel.c_header()
    assert all(v == 2.0 ** (j / 128) or abs(v - 2.0 ** (j / 128)) <= math.ulp(v)
               for j, v in enumerate(exp_kernel.TABLE))


def test_expm1_near_zero_c_and_python_agree_and_are_accurate():
    """e^x - 1 where the kernels use it (|x| < 1e-3): one definition, C and Python alike, and
    within two units in the last place of the true value."""
    rng = np.random.default_rng(4)
    x = np.concatenate([[0.0, -0.0, 5e-324, 1e-300, -9.999e-4, 9.999e-4],
                        rng.uniform(-1e-3, 1e-3, 20_000),
                        rng.uniform(-1, 1, 20_000) * 2.0 ** -rng.integers(10, 80, 20_000)])
    c = np.empty_like(x)
    lib.bss2_expm1_small_many(ffi.cast("double *", x.ctypes.data),
                              ffi.cast("double *", c.ctypes.data), x.size)
    py = np.array([exp_kernel.expm1_small(float(v)) for v in x])
    assert np.array_equal(c.view(np.uint64), py.view(np.uint64))
    truth = np.expm1(x.astype(np.longdouble))
    nonzero = x != 0.0
    err = np.abs((c[nonzero].astype(np.longdouble) - truth[nonzero]) / np.spacing(c[nonzero]))
    assert err.max() <= 2.0
    assert np.array_equal(c[~nonzero], x[~nonzero])
