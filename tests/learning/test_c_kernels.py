"""The C kernels of the learning code (causal sets of first spikes, one layer's backward pass)
against their numpy references on random layers: the same causal sets, times and gradients to
rounding (libm's and numpy's exp may differ in the last bit, and sums run in another order)."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.learning.gradients import layer_backward, reference_layer_backward
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times, reference_first_spike_times

SHAPES = [(1, 1), (5, 120), (121, 3), (33, 7)]


def _layer(rng: np.random.Generator, n_in: int, n_out: int, batch: int = 60, grid: bool = False):
    times = rng.uniform(0.0, 3.0, (batch, n_in))
    if grid:  # many equal times: the kernel's sort must order ties as numpy's stable argsort
        times = np.round(times * 4.0) / 4.0
    times[rng.random(times.shape) < 0.15] = np.inf  # silent inputs
    times[0] = np.inf  # a sample without any input
    if n_in > 1:
        times[1, 1] = times[1, 0]  # simultaneous inputs
    weights = rng.normal(3.0, 2.0, (n_in, n_out)) / np.sqrt(n_in)
    return times, weights


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("grid", [False, True])
def test_first_spike_times_match_the_numpy_reference(ratio, shape, grid):
    rng = np.random.default_rng(hash((ratio, shape, grid)) % 2**32)
    params = NeuronParams.software_default(ratio)
    fired = 0
    for _ in range(5):
        times, weights = _layer(rng, *shape, grid=grid)
        out, last = first_spike_times(times, weights, params, with_causal=True)
        ref, ref_last = reference_first_spike_times(times, weights, params, with_causal=True)
        assert np.array_equal(last, ref_last)  # the same causal sets
        assert np.array_equal(np.isinf(out), np.isinf(ref))
        np.testing.assert_allclose(out[np.isfinite(out)], ref[np.isfinite(ref)], rtol=1e-12,
                                   atol=1e-12)
        fired += int(np.isfinite(out).sum())
    assert fired > 0


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("max_dw_norm", [None, 2.0])
def test_layer_backward_matches_the_numpy_reference(ratio, shape, max_dw_norm):
    rng = np.random.default_rng(hash((ratio, shape, max_dw_norm)) % 2**32)
    params = NeuronParams.software_default(ratio)
    for measured in (False, True):
        times, weights = _layer(rng, *shape)
        out, causal = first_spike_times(times, weights, params, with_causal=True)
        if measured:  # times measured elsewhere: jittered, causal sets re-derived
            out = out + rng.normal(0.0, 0.01, out.shape)
            causal = None
        error = rng.normal(0.0, 1.0, out.shape)
        grad, in_error = layer_backward(times, weights, out, error, params, max_dw_norm, causal)
        ref_grad, ref_in = reference_layer_backward(times, weights, out, error, params,
                                                    max_dw_norm, causal)
        scale = max(np.abs(ref_grad).max(), 1e-300)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(in_error, ref_in, rtol=1e-10,
                                   atol=1e-12 * max(np.abs(ref_in).max(), 1e-300))
