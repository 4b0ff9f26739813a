"""Exact first-spike times of LIF neurons whose membrane time constant and threshold differ from
neuron to neuron (the fixed-pattern spread of a substrate), batched with numpy.

The closed forms of `spiketime` exist for tau_m / tau_s = 1 and 2 only, and for one threshold
per layer. A substrate with spread has every neuron at its own ratio r_j and threshold, so this
module finds the crossing numerically, without approximating the neuron model:

With times x in units of tau_s, shifted so the earliest input is 0, and inputs sorted, the
potential between input k and input k + 1 (window k) is

    g_j V_j(x) = (e^{-x/r_j} P_k - e^{-x} Q_k) / (r_j - 1),
    P_k = sum_{i<=k} w_i e^{x_i / r_j},  Q_k = sum_{i<=k} w_i e^{x_i}

(for r_j = 1: e^{-x} (x Q_k - S_k), S_k = sum w_i x_i e^{x_i}). Inside a window the potential
has at most one stationary point, so whether it reaches the threshold there, and a bracket on
which it rises monotonically through it, follow from its values at the window ends and at that
point. The earliest window with a crossing holds the first spike; Newton steps safeguarded by
bisection on the bracket then find the crossing to the resolution of float64 (each step
evaluates the two-term form above, so the cost does not grow with the number of inputs).

Within 1e-6 of r = 1 the r = 1 form is used: the two-term difference loses about 1e-16 / |r - 1|
of its relative precision there, the r = 1 form is off by O(|r - 1|), both below 1e-6.
"""
from __future__ import annotations

import numpy as np

# ratios closer to 1 than this use the tau_m = tau_s form (see the module docstring)
_RATIO_ONE = 1e-6
# window-start tolerance relative to the threshold, as in `spiketime` (a crossing at an input)
_WINDOW_TOL = 1e-9
# root-search steps at most: bisection alone reaches adjacent floats from any bracket in fewer
_MAX_STEPS = 200


def _window_potential(x: np.ndarray, p: np.ndarray, q: np.ndarray, s: np.ndarray,
                      ratio: np.ndarray, one: np.ndarray) -> np.ndarray:
    """g V(x) of a window with sums P, Q (and S for ratio 1) at times x (broadcasting)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        general = (np.exp(-x / ratio) * p - np.exp(-x) * q) / np.where(one, 1.0, ratio - 1.0)
        first = np.exp(-x) * (x * q - s)
    return np.where(one, first, general)


def _window_slope(x: np.ndarray, p: np.ndarray, q: np.ndarray, s: np.ndarray,
                  ratio: np.ndarray, one: np.ndarray) -> np.ndarray:
    """d(g V)/dx of a window at times x."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        general = ((q * np.exp(-x) - p * np.exp(-x / ratio) / ratio)
                   / np.where(one, 1.0, ratio - 1.0))
        first = np.exp(-x) * (q - x * q + s)
    return np.where(one, first, general)


def _rounding(x: np.ndarray, p: np.ndarray, q: np.ndarray, s: np.ndarray,
              ratio: np.ndarray, one: np.ndarray) -> np.ndarray:
    """Size of the rounding error of `_window_potential` at x (its terms times float64's eps
    over the factor 1 / (r - 1) that amplifies their cancellation)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        general = ((np.abs(p) * np.exp(-x / ratio) + np.abs(q) * np.exp(-x))
                   / np.abs(np.where(one, 1.0, ratio - 1.0)))
        first = np.exp(-x) * (np.abs(x * q) + np.abs(s))
    return np.finfo(np.float64).eps * np.where(one, first, general)


def _safeguarded_newton(lo: np.ndarray, hi: np.ndarray, p: np.ndarray, q: np.ndarray,
                        s: np.ndarray, ratio: np.ndarray, one: np.ndarray, c: np.ndarray
                        ) -> np.ndarray:
    """The crossing g V(x) = c on brackets [lo, hi] (1-d arrays) where g V rises through c.

    Newton steps, replaced by bisection whenever one would not land strictly inside the
    bracket, which every evaluation narrows. A time is final when its step is within a few ulps,
    or within the time the potential's own rounding error spans (near r = 1 the two-term form
    cancels): no evaluation in float64 can place the crossing closer. Only unfinished times are
    iterated on (crossings near a potential's peak converge slowly, most in a few steps).
    """
    x = 0.5 * (lo + hi)
    ulps = 4.0 * np.finfo(np.float64).eps
    active = np.arange(x.size)
    for _ in range(_MAX_STEPS):
        xa, la, ha = x[active], lo[active], hi[active]
        pa, qa, sa, ra, oa = p[active], q[active], s[active], ratio[active], one[active]
        excess = _window_potential(xa, pa, qa, sa, ra, oa) - c[active]
        above = excess >= 0
        ha = np.where(above, xa, ha)
        la = np.where(above, la, xa)
        slope = _window_slope(xa, pa, qa, sa, ra, oa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - excess / slope
            blur = 4.0 * _rounding(xa, pa, qa, sa, ra, oa) / np.abs(slope)
        good = ((newton > la) & (newton < ha)) | (excess == 0)
        nxt = np.where(good, newton, 0.5 * (la + ha))
        step = np.abs(nxt - xa)
        x[active], lo[active], hi[active] = nxt, la, ha
        active = active[(step > ulps * np.maximum(np.abs(nxt), 1.0)) & ~(step <= blur)]
        if active.size == 0:
            break
    return x


def first_spike_times_spread(times: np.ndarray, weights: np.ndarray, tau_syn: float,
                             ratio: np.ndarray, c: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """First-spike times (batch, n_out) and each spike's causal horizon, for input spike times
    (batch, n_in) through `weights` (n_in, n_out) into neurons with their own tau_m / tau_s
    `ratio` (n_out,) and threshold `c` (n_out,) = g_leak (threshold - leak) of each neuron.

    +inf inputs are silent; +inf outputs never reach threshold. The horizon is the time of the
    last input of the spike's causal set (+inf for silent neurons), as `spiketime` gives it.
    """
    ratio = np.asarray(ratio, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    scaled = np.asarray(times, dtype=np.float64) / tau_syn
    shift = scaled.min(axis=1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    scaled = scaled - shift[:, None]
    order = np.argsort(scaled, axis=1, kind="stable").T  # (n_in, batch)
    x = np.take_along_axis(scaled.T, order, axis=0)
    finite = np.isfinite(x)
    xf = np.where(finite, x, 0.0)[:, :, None]
    w = np.where(finite[:, :, None], weights[order], 0.0)  # (n_in, batch, n_out)
    one = np.abs(ratio - 1.0) < _RATIO_ONE
    p = np.cumsum(w * np.exp(xf / ratio), axis=0)
    q = np.cumsum(w * np.exp(xf), axis=0)
    s = np.cumsum(w * xf * np.exp(xf), axis=0)

    start = np.broadcast_to(xf, p.shape)
    end = np.empty_like(start)
    end[:-1] = np.where(finite[1:, :, None], xf[1:], np.inf)
    end[-1] = np.inf
    v_start = _window_potential(start, p, q, s, ratio, one)
    v_end = np.zeros_like(v_start)
    v_end[:-1] = v_start[1:]
    v_end[:-1] = np.where(np.isfinite(end[:-1]), v_end[:-1], 0.0)

    # the stationary point of the window's potential (nan where there is none)
    with np.errstate(divide="ignore", invalid="ignore"):
        general = np.log(ratio * q / p) / (1.0 - 1.0 / np.where(one, 2.0, ratio))
        stationary = np.where(one, 1.0 + s / q, general)
    interior = np.isfinite(stationary) & (stationary > start) & (stationary < end)
    v_stat = _window_potential(np.where(interior, stationary, start), p, q, s, ratio, one)
    is_max = interior & (v_stat > v_start)
    peak_reaches = is_max & (v_stat >= c)
    crossing = (peak_reaches | (v_end >= c)) & (v_start <= c * (1.0 + _WINDOW_TOL))
    accept = crossing & finite[:, :, None]

    k = accept.argmax(axis=0)[None]
    has = accept.any(axis=0)

    def pick(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, k, axis=0)[0]

    lo = np.where(pick(interior & ~is_max), pick(stationary), pick(start))
    hi = np.where(pick(peak_reaches), pick(stationary), pick(end))
    lo, hi = np.where(has, lo, 0.0), np.where(has, hi, 0.0)
    pk, qk, sk = pick(p), pick(q), pick(s)
    shape = lo.shape

    def flat(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, shape).ravel()

    x = _safeguarded_newton(flat(lo).copy(), flat(hi).copy(), flat(pk), flat(qk), flat(sk),
                            flat(ratio), flat(one), flat(c)).reshape(shape)
    first = np.where(has, x + shift[:, None], np.inf) * tau_syn
    horizon = np.where(has, pick(start) + shift[:, None], np.inf) * tau_syn
    return first, horizon
