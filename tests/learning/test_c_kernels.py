"""The C kernels of the learning code (causal sets of first spikes, one layer's backward pass)
against their numpy references on random layers: the same causal sets, times, sums and gradients
to rounding (libm's and numpy's exp may differ in the last bit, and sums run in another order);
and the backward pass from the forward pass's sums against the one that recomputes them."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.learning.gradients import layer_backward, reference_layer_backward
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import layer_first_spikes, reference_layer_first_spikes

SHAPES = [(1, 1), (5, 120), (121, 3), (33, 7)]


def _layer(rng: np.random.Generator, n_in: int, n_out: int, batch: int = 60, grid: bool = False):
    times = rng.uniform(0.0, 3.0, (batch, n_in))
    if grid:  # many equal times: the kernel's sort must order ties as numpy's stable argsort
        times = np.round(times * 4.0) / 4.0
    times[rng.random(times.shape) < 0.15] = np.inf  # silent inputs
    times[0] = np.inf  # a sample without any input
    if n_in > 1:
        times[1, 1] = times[1, 0]  # simultaneous inputs
        # a tight cluster and one late input (the kernel's sort puts the cluster in one bucket),
        # and a sample whose inputs are all at one time
        times[2] = 1.0 + 1e-13 * rng.random(n_in)
        times[2, -1] = 4.0
        times[3] = 0.7
    weights = rng.normal(3.0, 2.0, (n_in, n_out)) / np.sqrt(n_in)
    return times, weights


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("grid", [False, True])
def test_first_spikes_match_the_numpy_reference(ratio, shape, grid):
    rng = np.random.default_rng(hash((ratio, shape, grid)) % 2**32)
    params = NeuronParams.software_default(ratio)
    fired = 0
    for _ in range(5):
        times, weights = _layer(rng, *shape, grid=grid)
        got = layer_first_spikes(times, weights, params)
        ref = reference_layer_first_spikes(times, weights, params)
        assert np.array_equal(got.causal_until, ref.causal_until)  # the same causal sets
        fires = np.isfinite(ref.times)
        assert np.array_equal(np.isfinite(got.times), fires)
        np.testing.assert_allclose(got.times[fires], ref.times[fires], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got.a1, ref.a1, rtol=1e-12, atol=1e-12 * np.abs(ref.a1).max())
        # the slope factor 1 + W is ill-conditioned where the potential grazes the threshold
        np.testing.assert_allclose(got.slope, ref.slope, rtol=1e-9, atol=1e-12)
        assert np.all(got.a1[~fires] == 0.0) and np.all(got.slope[~fires] == 0.0)
        assert np.all(got.slope[fires] >= 0.0)
        fired += int(fires.sum())
    assert fired > 0


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("max_dw_norm", [None, 2.0])
def test_layer_backward_matches_the_numpy_reference(ratio, shape, max_dw_norm):
    rng = np.random.default_rng(hash((ratio, shape, max_dw_norm)) % 2**32)
    params = NeuronParams.software_default(ratio)
    for source in ("forward", "forward sums", "measured"):
        times, weights = _layer(rng, *shape)
        spikes = layer_first_spikes(times, weights, params)
        out, causal, sums = spikes.times, spikes.causal_until, (spikes.a1, spikes.slope)
        if source != "forward sums":
            sums = None
        if source == "measured":  # times measured elsewhere: jittered, causal sets re-derived
            out = out + rng.normal(0.0, 0.01, out.shape)
            causal = None
        error = rng.normal(0.0, 1.0, out.shape)
        grad, in_error = layer_backward(times, weights, out, error, params, max_dw_norm, causal,
                                        sums)
        ref_grad, ref_in = reference_layer_backward(times, weights, out, error, params,
                                                    max_dw_norm, causal, sums)
        scale = max(np.abs(ref_grad).max(), 1e-300)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(in_error, ref_in, rtol=1e-10,
                                   atol=1e-12 * max(np.abs(ref_in).max(), 1e-300))


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_from_the_forward_sums_equals_the_recomputed_one(ratio, shape):
    """The forward pass's a1 and 1 + W (or S) are the quantities the backward pass would
    recompute from the same causal sets: the gradients agree to rounding, except where the
    potential only grazes the threshold (1 + W or S near 0), where either is ill-conditioned."""
    rng = np.random.default_rng([5, ratio, *shape])
    params = NeuronParams.software_default(ratio)
    compared = 0
    for _ in range(5):
        times, weights = _layer(rng, *shape)
        spikes = layer_first_spikes(times, weights, params)
        grazing = spikes.slope < 1e-3
        error = np.where(grazing, 0.0, rng.normal(0.0, 1.0, spikes.times.shape))
        args = (times, weights, spikes.times, error, params, None, spikes.causal_until)
        grad, in_error = layer_backward(*args, (spikes.a1, spikes.slope))
        ref_grad, ref_in = layer_backward(*args)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-9,
                                   atol=1e-12 * max(np.abs(ref_grad).max(), 1e-300))
        np.testing.assert_allclose(in_error, ref_in, rtol=1e-9,
                                   atol=1e-12 * max(np.abs(ref_in).max(), 1e-300))
        compared += int((np.isfinite(spikes.times) & ~grazing).sum())
    assert compared > 0


@pytest.mark.parametrize("ratio", [1, 2])
@pytest.mark.parametrize("shape", [(5, 120), (121, 3)])
def test_bias_times_passed_apart_equal_them_appended(ratio, shape):
    """Bias spike times given to the kernels separately act exactly as the same times appended
    to every sample's inputs (Network.layer_input), forward and backward."""
    rng = np.random.default_rng([9, ratio, *shape])
    params = NeuronParams.software_default(ratio)
    times, weights = _layer(rng, *shape)
    bias = np.array([0.9, 0.4])
    times[:, -2:] = bias
    spikes = layer_first_spikes(times[:, :-2], weights, params, bias)
    appended = layer_first_spikes(times, weights, params)
    for name in ("times", "causal_until", "a1", "slope"):
        np.testing.assert_array_equal(getattr(spikes, name), getattr(appended, name))
    assert np.isfinite(spikes.times).any()
    error = rng.normal(0.0, 1.0, spikes.times.shape)
    sums = (spikes.a1, spikes.slope)
    got = layer_backward(times[:, :-2], weights, spikes.times, error, params, 2.0,
                         spikes.causal_until, sums, bias)
    expected = layer_backward(times, weights, spikes.times, error, params, 2.0,
                              spikes.causal_until, sums)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError):
        layer_first_spikes(times[:, :-1], weights, params, bias)
