"""Independent reference for the tests: the LIF membrane potential integrated in closed form
per PSP, a dense time grid and brentq for the first threshold crossing."""
from __future__ import annotations

import numpy as np
from bss2emu.host.learning.neuron import NeuronParams
from scipy.optimize import brentq


def membrane(t: np.ndarray, times: np.ndarray, weights: np.ndarray, p: NeuronParams) -> np.ndarray:
    """u(t) of C_m du/dt = g_l (E_l - u) + sum_i w_i Theta(t - t_i) exp(-(t - t_i)/tau_s)."""
    c_m = p.g_leak * p.tau_mem
    t = np.asarray(t, dtype=float)[..., None]
    s = t - times
    active = np.isfinite(times) & (s > 0)
    s = np.where(active, s, 0.0)
    if p.tau_ratio == 1:
        psp = s / c_m * np.exp(-s / p.tau_syn)
    else:
        tm, ts = p.tau_mem, p.tau_syn
        psp = tm * ts / (c_m * (tm - ts)) * (np.exp(-s / tm) - np.exp(-s / ts))
    return p.leak + np.sum(np.where(active, weights * psp, 0.0), axis=-1)


def first_crossing(
    times: np.ndarray, weights: np.ndarray, p: NeuronParams, step: float = 2e-3
) -> tuple[float, float]:
    """(first threshold crossing or inf, max of u - threshold over the grid) for one neuron."""
    finite = times[np.isfinite(times)]
    if finite.size == 0:
        return np.inf, p.leak - p.threshold
    grid = np.arange(finite.min(), finite.max() + 30 * p.tau_mem, step * p.tau_syn)
    u = membrane(grid, times, weights, p) - p.threshold
    above = np.nonzero(u >= 0)[0]
    if above.size == 0:
        return np.inf, float(u.max())
    j = above[0]
    if j == 0:
        return float(grid[0]), float(u.max())

    def f(t: float) -> float:
        return float(membrane(t, times, weights, p)) - p.threshold

    return brentq(f, grid[j - 1], grid[j], xtol=1e-15, rtol=1e-15, maxiter=200), float(u.max())
