"""The C crossing search against the reference's, state by state: the same double for random
states of every shape the engine meets (membrane at or off rest, either current off, equal,
near-degenerate and distinct time constants), which covers the C core's written-out path for
the common three-rate case as well as its general one."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim import reference
from bss2emu.chipsim.engine import ffi, lib


def _states(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tm = rng.uniform(300.0, 1500.0, n)
    te = tm * rng.uniform(0.2, 1.5, n)
    ti = np.where(rng.random(n) < 0.1, te, tm * rng.uniform(0.2, 1.5, n))
    near = rng.random(n) < 0.05
    te[near] = tm[near] * (1.0 + rng.normal(0.0, 1e-7, near.sum()))
    same = rng.random(n) < 0.03
    te[same] = tm[same]
    el = rng.uniform(0.3, 0.8, n)
    th = el + rng.uniform(-0.05, 0.5, n)
    v0 = np.where(rng.random(n) < 0.1, el, rng.uniform(0.0, 1.0, n) * th)
    je = np.where(rng.random(n) < 0.1, 0.0, rng.exponential(0.003, n))
    ji = np.where(rng.random(n) < 0.1, 0.0, rng.exponential(0.002, n))
    horizon = np.where(rng.random(n) < 0.2, rng.uniform(10.0, 3000.0, n), 1e9)
    return np.ascontiguousarray(np.stack([tm, te, ti, v0, je, ji, el, th, horizon], axis=1))


def test_c_search_equals_the_reference_bit_for_bit():
    rows = _states(6000, seed=5)
    out = np.empty(rows.shape[0])
    lib.bss2_first_crossing_many(ffi.cast("double *", rows.ctypes.data),
                                 ffi.cast("double *", out.ctypes.data), rows.shape[0])
    ref = np.array([reference.first_crossing(v0, je, ji, el, th, reference.Rates.of(tm, te, ti),
                                             horizon)
                    for tm, te, ti, v0, je, ji, el, th, horizon in rows.tolist()])
    finite = np.isfinite(ref)
    assert 0.2 < finite.mean() < 0.8  # both outcomes are well represented
    assert np.array_equal(out.view(np.uint64), ref.view(np.uint64))
