"""Exact first-spike times of a layer of LIF neurons from the closed forms.

Every prefix of the time-sorted inputs is a candidate causal set; its closed-form threshold
crossing counts if it lies between the prefix's last input and the next input. The earliest
such crossing is the first spike, +inf if there is none. Silent inputs (+inf) contribute
nothing. `layer_first_spikes` runs a C kernel (csrc/spiketime.c) that stops at the first
accepted prefix and keeps the accepted set's sums for the gradients (`first_spike_times`
returns its times alone); `reference_layer_first_spikes` is the same algorithm batched with
numpy over all prefixes, laid out (n_in, batch, n_out) so prefix sums and reductions run over
contiguous slices: the differential tests hold the two together.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.host.learning._spiketime import ffi, lib
from bss2emu.host.learning.lambertw import lambertw0
from bss2emu.host.learning.neuron import NeuronParams

# tolerance (relative to the threshold) of the window-start test, absorbs rounding when a
# crossing coincides with a prefix's last input; the window end has none: a crossing is never
# accepted past the next input, whose kernel (an inhibitory one above all) it would ignore
_WINDOW_TOL = 1e-9


def prefix_sums(x: np.ndarray) -> np.ndarray:
    """Cumulative sums over axis 0; a loop over a short axis beats numpy's cumsum."""
    if x.shape[0] > 32:
        return np.cumsum(x, axis=0)
    out = np.empty_like(x)
    out[0] = x[0]
    for k in range(1, x.shape[0]):
        np.add(out[k - 1], x[k], out=out[k])
    return out


def shifted_scaled_times(times: np.ndarray, params: NeuronParams) -> tuple[np.ndarray, np.ndarray]:
    """Input times in units of tau_syn, shifted per sample so the earliest finite one is 0.

    The closed forms are invariant under a common shift; shifting keeps exp(t) in range.
    Returns (scaled times, per-sample shift) with silent inputs left at +inf.
    """
    scaled = times / params.tau_syn
    shift = scaled.min(axis=1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    return scaled - shift[:, None], shift


@dataclass(frozen=True)
class LayerSpikes:
    """A layer's first spikes (each array (batch, n_out)): `times`, +inf for silent neurons, and
    per spike the causal set the forward pass accepted: `causal_until`, the time of its last
    input (the inputs at or before it), and the sums of its crossing that the gradients use
    again, `a1` = sum_i w_i e^{t_i/tau_s} (times shifted per sample as `shifted_scaled_times`
    shifts them) and `slope` = 1 + W (tau_m = tau_s) or S (tau_m = 2 tau_s), the factor of the
    membrane's slope at the crossing (see `crossing_time_ratio1/2`); +inf, 0, 0 where silent."""

    times: np.ndarray
    causal_until: np.ndarray
    a1: np.ndarray
    slope: np.ndarray


def crossing_time_ratio1(a1: np.ndarray, b: np.ndarray, c: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Upward crossing (tau_syn units) for tau_m = tau_s of an input set that reaches threshold,
    and its slope factor 1 + W.

    Solves sum_i w_i (T - t_i) e^{-(T - t_i)} = c with a1 = sum w e^t > 0, b = sum w t e^t:
    T = b/a1 - W with W = W_0(-(c/a1) e^{b/a1}); the potential e^{-t} (a1 t - b) rises through
    c with slope a1 (1 + W) e^{-T}.
    """
    ratio = b / a1
    z = -np.exp(np.log(c / a1) + ratio)
    w = lambertw0(np.maximum(z, -np.exp(-1.0)))
    return ratio - w, 1.0 + w


def crossing_time_ratio2(a1: np.ndarray, a2: np.ndarray, c: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Upward crossing (tau_syn units) for tau_m = 2 tau_s, +inf where threshold is not reached,
    and its slope factor S (0 where there is no crossing).

    With y = e^{-T/tau_m} the threshold condition is a1 y^2 - a2 y + c = 0 (a1 = sum w e^t,
    a2 = sum w e^{t/2}); the larger root is the upward crossing: T = 2 ln(2 a1 / (a2 + S)),
    S = sqrt(a2^2 - 4 a1 c), where the potential rises with slope S e^{-T/2} / 2. A crossing
    exists only for a1 > 0, a2 > 0, S real.
    """
    out = np.full(np.shape(a1), np.inf)
    slope = np.zeros(np.shape(a1))
    disc = a2 * a2 - 4.0 * a1 * c
    ok = (a1 > 0) & (a2 > 0) & (disc >= 0)
    slope[ok] = np.sqrt(disc[ok])
    out[ok] = 2.0 * (np.log(2.0 * a1[ok]) - np.log(a2[ok] + slope[ok]))
    return out, slope


def _accepting_prefixes(
    reach: np.ndarray,
    start_before_peak: np.ndarray,
    next_after_peak: np.ndarray,
    v_start: np.ndarray,
    c: float,
) -> np.ndarray:
    """Which prefixes (n_in, batch, n_out) have their upward crossing inside their window.

    Each prefix potential is unimodal in time, so no closed form is needed for the test: the
    peak must reach c, the potential must be below c at the window start with the peak still
    ahead, and above c at the window end unless the peak already lies before it. `v_start` is
    the potential at each prefix's last input; v_k(t_{k+1}) = v_{k+1}(t_{k+1}) because a kernel
    vanishes at its own input time, which gives the window-end values for free. Only the start
    test has a rounding tolerance: with one at the end, a crossing up to that tolerance past the
    next input was accepted, and an inhibitory input there changed the true spike.
    """
    v_end = np.empty_like(v_start)
    v_end[:-1] = v_start[1:]
    v_end[-1] = 0.0
    next_after_peak[-1] = True
    tol = c * _WINDOW_TOL
    return reach & start_before_peak & (v_start <= c + tol) & (next_after_peak | (v_end >= c))


def layer_first_spikes(times: np.ndarray, weights: np.ndarray, params: NeuronParams,
                       bias: np.ndarray | None = None) -> LayerSpikes:
    """First spikes of neurons driven by input spike times (batch, n_in), with their causal sets.

    `weights` has shape (n_in, n_out), or (n_in + len(bias), n_out) with `bias`, spike times
    appended to every sample's inputs (bias rows last, as `Network.layer_input` appends them);
    +inf input times are silent inputs, +inf output times mean the neuron never reaches
    threshold. The inputs at or before `causal_until` are exactly those the forward pass used,
    which the backward pass must use too.
    """
    times = np.ascontiguousarray(times, np.float64)
    bias = np.ascontiguousarray(() if bias is None else bias, np.float64)
    weights = np.ascontiguousarray(weights, np.float64)
    batch = times.shape[0]
    n_in, n_out = weights.shape
    if times.shape[1] + bias.size != n_in:
        raise ValueError(f"{times.shape[1]} inputs and {bias.size} bias times for {n_in} "
                         "weight rows")
    first, last, a1, slope = (np.empty((batch, n_out)) for _ in range(4))
    if batch and n_out and n_in:
        lib.bss2_first_spikes(
            ffi.cast("double *", ffi.from_buffer(times)),
            ffi.cast("double *", ffi.from_buffer(bias)), batch, n_in, bias.size,
            ffi.cast("double *", ffi.from_buffer(weights)), n_out, float(params.c),
            float(params.tau_syn), int(params.tau_ratio),
            *(ffi.cast("double *", ffi.from_buffer(x)) for x in (first, last, a1, slope)))
    else:
        first.fill(np.inf)
        last.fill(np.inf)
        a1.fill(0.0)
        slope.fill(0.0)
    return LayerSpikes(first, last, a1, slope)


def first_spike_times(times: np.ndarray, weights: np.ndarray, params: NeuronParams,
                      with_causal: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """First-spike times (batch, n_out) of `layer_first_spikes`; with `with_causal`, also each
    spike's `causal_until` (+inf for silent neurons)."""
    spikes = layer_first_spikes(times, weights, params)
    return (spikes.times, spikes.causal_until) if with_causal else spikes.times


def reference_layer_first_spikes(times: np.ndarray, weights: np.ndarray, params: NeuronParams
                                 ) -> LayerSpikes:
    """`layer_first_spikes` batched with numpy over every prefix (the C kernel's reference)."""
    scaled, shift = shifted_scaled_times(times, params)
    order = np.argsort(scaled, axis=1, kind="stable").T  # (n_in, batch)
    t_sorted = np.take_along_axis(scaled.T, order, axis=0)
    finite = np.isfinite(t_sorted)
    w_sorted = weights[order]  # (n_in, batch, n_out)
    e1 = np.exp(np.where(finite, t_sorted, -np.inf))  # 0 for silent inputs
    a1 = prefix_sums(w_sorted * e1[:, :, None])
    tk = t_sorted[:, :, None]
    c = params.c
    next_after_peak = np.empty(a1.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if params.tau_ratio == 1:
            # v(t) = e^{-t} (a1 t - b), peak at t = b/a1 + 1 with value a1 e^{-peak}
            second = prefix_sums(w_sorted * (np.where(finite, t_sorted, 0.0) * e1)[:, :, None])
            peak = second / a1 + 1.0
            reach = (a1 > 0) & (a1 >= c * np.exp(peak))
            decay = np.where(finite, 1.0 / e1, 0.0)[:, :, None]  # e^{-t}, 0 for silent inputs
            v_start = decay * (a1 * tk - second)
            before = tk <= peak
            next_after_peak[:-1] = tk[1:] >= peak[:-1]
        else:
            # with y = e^{-t/2}: v = a2 y - a1 y^2, peak at y = a2 / (2 a1) with value a2^2/(4 a1)
            second = prefix_sums(w_sorted * np.sqrt(e1)[:, :, None])
            reach = (a1 > 0) & (second > 0) & (second * second >= 4.0 * a1 * c)
            y = np.where(finite, 1.0 / np.sqrt(e1), 0.0)[:, :, None]  # e^{-t/2}
            v_start = y * (second - a1 * y)
            before = 2.0 * a1 * y >= second
            next_after_peak[:-1] = 2.0 * a1[:-1] * y[1:] <= second[:-1]
        accept = _accepting_prefixes(reach, before, next_after_peak, v_start, c)
    k = accept.argmax(axis=0)[None]
    has = accept.any(axis=0)
    a1k = np.take_along_axis(a1, k, axis=0)[0][has]
    second_k = np.take_along_axis(second, k, axis=0)[0][has]
    first = np.full(has.shape, np.inf)
    a1_out, slope = np.zeros(has.shape), np.zeros(has.shape)
    crossing = crossing_time_ratio1 if params.tau_ratio == 1 else crossing_time_ratio2
    first[has], slope[has] = crossing(a1k, second_k, c)
    a1_out[has] = a1k
    last = np.take_along_axis(np.broadcast_to(tk, a1.shape), k, axis=0)[0]
    return LayerSpikes((first + shift[:, None]) * params.tau_syn,
                       np.where(has, (last + shift[:, None]) * params.tau_syn, np.inf),
                       a1_out, slope)
