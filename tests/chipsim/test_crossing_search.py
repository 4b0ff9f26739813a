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
    discard_from = np.full(n, np.inf)  # the whole search
    return np.ascontiguousarray(np.stack([tm, te, ti, v0, je, ji, el, th, horizon, discard_from],
                                         axis=1))


def _c_search(rows: np.ndarray) -> np.ndarray:
    out = np.empty(rows.shape[0])
    lib.bss2_first_crossing_many(ffi.cast("double *", rows.ctypes.data),
                                 ffi.cast("double *", out.ctypes.data), rows.shape[0])
    return out


def _reference_search(rows: np.ndarray) -> np.ndarray:
    return np.array([reference.first_crossing(v0, je, ji, el, th, reference.Rates.of(tm, te, ti),
                                              horizon)
                     for tm, te, ti, v0, je, ji, el, th, horizon, _ in rows.tolist()])


def test_c_search_equals_the_reference_bit_for_bit():
    rows = _states(6000, seed=5)
    out = _c_search(rows)
    ref = _reference_search(rows)
    finite = np.isfinite(ref)
    assert 0.2 < finite.mean() < 0.8  # both outcomes are well represented
    assert np.array_equal(out.view(np.uint64), ref.view(np.uint64))


def test_a_search_that_may_stop_at_discard_from_reports_only_the_whole_searchs_crossings():
    """The engine's replay discards crossings at or after the next arrival and lets the search
    stop once it knows that is all it could still find: below that time it must give the whole
    search's crossing bit for bit; at or after it, that crossing or +inf, and never another."""
    rows = _states(6000, seed=11)
    whole = _reference_search(rows)
    rng = np.random.default_rng(12)
    # discard times around each crossing (and anywhere for states that never cross)
    scale = np.where(np.isfinite(whole), whole, rng.uniform(1.0, 3000.0, len(whole)))
    rows[:, 9] = scale * rng.uniform(0.3, 1.7, len(whole))
    out = _c_search(rows)
    before = whole < rows[:, 9]
    assert np.array_equal(out[before].view(np.uint64), whole[before].view(np.uint64))
    after = ~before
    same = out[after].view(np.uint64) == whole[after].view(np.uint64)
    stopped = np.isinf(out[after]) & np.isfinite(whole[after])
    assert np.all(same | np.isinf(out[after]))
    crossing = np.isfinite(whole)
    assert 0.3 < before[crossing].mean() < 0.7 and stopped.sum() > 500  # both cases occur


def test_a_maximum_just_below_threshold_is_no_crossing_and_just_above_is_one():
    """Thresholds 1e-10 from the membrane's maximum, on either side: the search's shortcuts
    (a converged Halley step taken without an evaluation, the slope bound) must tell them
    apart, C and reference alike."""
    rng = np.random.default_rng(17)
    checked = 0
    for _ in range(200):
        tm = rng.uniform(300.0, 1500.0)
        te, ti = tm * rng.uniform(0.3, 0.8), tm * rng.uniform(1.2, 1.8)
        el, v0 = 0.5, 0.5 + rng.uniform(-0.05, 0.05)
        je, ji = rng.exponential(0.003), rng.exponential(0.001)
        r = reference.Rates.of(tm, te, ti)
        at = reference._membrane(v0, je, ji, el, r)
        # the maximum: Newton on the slope from the excitatory kernel's peak
        t = float(np.log(r.exc / r.mem) / (r.exc - r.mem))
        for _ in range(60):
            _, s, c = at(t)
            if c >= 0.0:
                break
            t -= s / c
        v, s, c = at(t)
        if not (c < 0.0 and abs(s) < 1e-15 and v > el + 0.01 and t > 1.0):
            continue
        for delta, crosses in ((1e-10, False), (-1e-10, True)):
            row = np.array([[tm, te, ti, v0, je, ji, el, v + delta, 1e9, np.inf]])
            found = _c_search(row)[0]
            assert np.isfinite(found) == crosses, (tm, te, ti, v0, je, ji, delta)
            assert found == _reference_search(row)[0]
        checked += 1
    assert checked > 100
