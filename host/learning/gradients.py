"""Exact derivatives of first-spike times w.r.t. weights and input times, and their backprop.

The causal set is the forward pass's own when it is given (`causal_until`, from
`first_spike_times(..., with_causal=True)`), otherwise re-derived from the output time,
C = {i: t_i <= T}, so the output times may also be measured elsewhere (hardware in the loop);
the neuron parameters used here may differ from those of the forward pass. Non-causal
inputs, silent neurons and input sets whose model crossing does not exist get zero entries.
With the forward pass's own causal sets, its sums of them (`sums`: `LayerSpikes.a1` and
`.slope`, the latter 1 + W or S) are used instead of recomputing them and W, which holds as long
as inputs, weights and neuron parameters are the forward pass's. `layer_backward` runs in C
(csrc/spiketime.c), one sample and neuron at a time without temporaries;
`reference_layer_backward` is the same computation batched with numpy.
"""
from __future__ import annotations

import numpy as np
from bss2emu.host.learning._spiketime import ffi, lib
from bss2emu.host.learning.lambertw import lambertw0
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import shifted_scaled_times


def spike_time_jacobians(
    in_times: np.ndarray, weights: np.ndarray, out_times: np.ndarray, params: NeuronParams,
    causal_until: np.ndarray | None = None,
    sums: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """dT_k/dw_ik and dT_k/dt_i, both shaped (batch, n_in, n_out).

    in_times (batch, n_in), weights (n_in, n_out), out_times (batch, n_out); `causal_until`
    (batch, n_out): inputs at or before it are causal (default: at or before the output time);
    `sums`: the forward pass's (a1, slope) of those causal sets (default: recomputed).
    """
    tau = params.tau_syn
    t, shift = shifted_scaled_times(in_times, params)
    big_t = out_times / tau - shift[:, None]
    fires = np.isfinite(big_t)
    big_t0 = np.where(fires, big_t, 0.0)
    t_fin = np.isfinite(t)
    t0 = np.where(t_fin, t, 0.0)
    horizon = big_t if causal_until is None else causal_until / tau - shift[:, None]
    causal = (t[:, :, None] <= horizon[:, None, :]) & fires[:, None, :]  # inf inputs never causal
    e1c = np.where(causal, np.exp(t0)[:, :, None], 0.0)  # e^{t_i} on the causal set, else 0
    we1 = weights[None] * e1c
    a1 = we1.sum(axis=1) if sums is None else sums[0]
    c = params.c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if params.tau_ratio == 1:
            if sums is None:
                b = np.einsum("bnm,bn->bm", we1, t0)
                log_mz = np.log(c / a1) + b / a1
                valid = (a1 > 0) & (log_mz <= -1.0) & fires
                one_plus_w = np.zeros_like(a1)
                one_plus_w[valid] = 1.0 + lambertw0(-np.exp(log_mz[valid]))
            else:
                valid = (a1 > 0) & fires
                one_plus_w = sums[1]
            valid &= one_plus_w > 0
            inv = np.where(valid, 1.0 / (a1 * one_plus_w), 0.0)[:, None, :]
            lag = big_t0[:, None, :] - t0[:, :, None]  # (T - t_i) / tau_s
            scaled_e = e1c * inv
            d_w = -tau * scaled_e * lag
            d_t = -weights[None] * scaled_e * (lag - 1.0)
        else:
            e2c = np.sqrt(e1c)
            if sums is None:
                a2 = (weights[None] * e2c).sum(axis=1)
                s = np.sqrt(a2 * a2 - 4.0 * a1 * c)
            else:
                s = sums[1]
            valid = (a1 > 0) & (s > 0) & fires
            amp = np.where(valid, (1.0 + c / s * np.exp(big_t0 / 2.0)) / a1, 0.0)[:, None, :]
            inv_s = np.where(valid, 1.0 / s, 0.0)[:, None, :]
            core = 2.0 * amp * e1c - e2c * inv_s
            d_w = tau * (core - e2c * inv_s)
            d_t = weights[None] * core
    return d_w, d_t


def layer_backward(
    in_times: np.ndarray,
    weights: np.ndarray,
    out_times: np.ndarray,
    out_error: np.ndarray,
    params: NeuronParams,
    max_dw_norm: float | None = None,
    causal_until: np.ndarray | None = None,
    sums: tuple[np.ndarray, np.ndarray] | None = None,
    bias: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Backpropagate dL/dT_out (batch, n_out) through one layer (`causal_until`, `sums`: see
    `spike_time_jacobians`; `bias`: spike times appended to every sample's inputs, as
    `layer_first_spikes` takes them).

    Returns (dL/dW summed over the batch (n_in, n_out), dL/dt_in (batch, n_in), bias inputs
    included). With `max_dw_norm`, a sample's weight gradient into a neuron is dropped when any
    of its entries exceeds that magnitude (the paper's guard against near-threshold
    divergences).
    """
    n_in, n_out = np.shape(weights)
    batch = np.shape(in_times)[0]
    a1, slope = (None, None) if sums is None else sums
    bias = np.ascontiguousarray(() if bias is None else bias, np.float64)
    if np.shape(in_times)[1] + bias.size != n_in:
        raise ValueError(f"{np.shape(in_times)[1]} inputs and {bias.size} bias times for {n_in} "
                         "weight rows")
    arrays = [None if x is None else np.ascontiguousarray(x, np.float64)  # alive for the call
              for x in (in_times, bias, out_times, causal_until, a1, slope, weights, out_error)]
    grad = np.empty((n_in, n_out))
    in_error = np.empty((batch, n_in))
    if batch and n_in and n_out:
        lib.bss2_layer_backward(
            *(ffi.NULL if x is None else ffi.cast("double *", ffi.from_buffer(x))
              for x in arrays), batch, n_in, bias.size, n_out, float(params.c),
            float(params.tau_syn), int(params.tau_ratio),
            np.inf if max_dw_norm is None else float(max_dw_norm),
            ffi.cast("double *", ffi.from_buffer(grad)),
            ffi.cast("double *", ffi.from_buffer(in_error)))
    else:
        grad.fill(0.0)
        in_error.fill(0.0)
    return grad, in_error


def reference_layer_backward(
    in_times: np.ndarray,
    weights: np.ndarray,
    out_times: np.ndarray,
    out_error: np.ndarray,
    params: NeuronParams,
    max_dw_norm: float | None = None,
    causal_until: np.ndarray | None = None,
    sums: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`layer_backward` batched with numpy through `spike_time_jacobians` (its reference)."""
    d_w, d_t = spike_time_jacobians(in_times, weights, out_times, params, causal_until, sums)
    per_sample = d_w * out_error[:, None, :]
    if max_dw_norm is not None:
        too_big = np.abs(per_sample).max(axis=1) > max_dw_norm  # (batch, n_out)
        per_sample[np.broadcast_to(too_big[:, None, :], per_sample.shape)] = 0.0
    in_error = np.einsum("bnm,bm->bn", d_t, out_error)
    return per_sample.sum(axis=0), np.where(np.isfinite(in_error), in_error, 0.0)
