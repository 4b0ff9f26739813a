"""Exact spike-time gradients against central finite differences, layer-wise and end to end."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.learning.gradients import layer_backward, spike_time_jacobians
from bss2emu.host.learning.loss import SpikeTimeLoss
from bss2emu.host.learning.network import LayerTimes, Network
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times

H = 1e-4
RTOL = 1e-5
ATOL = 1e-9
PARAMS = [
    NeuronParams.software_default(1),
    NeuronParams.software_default(2),
    NeuronParams(tau_ratio=1, leak=0.7, threshold=1.08, g_leak=4.0),
    NeuronParams(tau_ratio=2, tau_syn=0.7, leak=0.1, threshold=0.6, g_leak=0.9),
]


def causal_pattern(in_times: np.ndarray, out_times: np.ndarray) -> np.ndarray:
    """Which inputs precede each output spike, and which outputs fire."""
    return np.concatenate([
        (in_times[:, :, None] <= out_times[:, None, :]).ravel(), np.isfinite(out_times).ravel()
    ])


def smooth_fd(f, x0: float, setter) -> float | None:
    """Richardson-extrapolated central difference of f at x0 (error O(H^4)), or None where f is
    not smooth there: a causal set or spike/no-spike state changes, or curvature dominates."""
    values, patterns = {}, []
    for step in (-H, -H / 2, 0.0, H / 2, H):
        setter(x0 + step)
        values[step], pattern = f()
        patterns.append(pattern)
    setter(x0)
    if not all(np.array_equal(patterns[0], p) for p in patterns[1:]):
        return None
    if not np.all(np.isfinite(list(values.values()))):
        return None
    coarse = (values[H] - values[-H]) / (2 * H)
    fine = (values[H / 2] - values[-H / 2]) / H
    if abs(coarse - fine) > 1e-3 * abs(fine) + 1e-9:  # near grazing: curvature dominates
        return None
    return (4 * fine - coarse) / 3


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"r{p.tau_ratio}-c{p.c:.2f}")
def test_layer_jacobians_match_finite_differences(params: NeuronParams) -> None:
    rng = np.random.default_rng(99)
    batch, n_in, n_out = 30, 6, 4
    t_in = rng.uniform(0.0, 2.0, (batch, n_in)) * params.tau_syn
    t_in[rng.random(t_in.shape) < 0.1] = np.inf
    w = rng.normal(0.8, 1.0, (n_in, n_out)) * params.c * (2.5 if params.tau_ratio == 2 else 1.5)
    t_out = first_spike_times(t_in, w, params)
    d_w, d_t = spike_time_jacobians(t_in, w, t_out, params)
    checked = skipped = 0
    for b in range(batch):
        for i in range(n_in):
            for k in range(n_out):
                def f_w(b=b, k=k):
                    out = first_spike_times(t_in[b:b + 1], w, params)
                    return out[0, k], causal_pattern(t_in[b:b + 1], out)

                def set_w(x, i=i, k=k):
                    w[i, k] = x

                fd = smooth_fd(f_w, w[i, k], set_w)
                if fd is None:
                    skipped += int(np.isfinite(t_out[b, k]))
                else:
                    assert d_w[b, i, k] == pytest.approx(fd, rel=RTOL, abs=ATOL)
                    checked += 1
                if not np.isfinite(t_in[b, i]):
                    continue

                def set_t(x, b=b, i=i):
                    t_in[b, i] = x

                fd = smooth_fd(f_w, t_in[b, i], set_t)
                if fd is not None:
                    assert d_t[b, i, k] == pytest.approx(fd, rel=RTOL, abs=ATOL)
    # silent neurons and non-causal inputs get exactly zero
    late = t_in[:, :, None] > t_out[:, None, :]
    assert np.all(d_w[late] == 0) and np.all(d_t[late] == 0)
    assert np.all(d_w[np.broadcast_to(np.isinf(t_out)[:, None, :], d_w.shape)] == 0)
    assert np.count_nonzero(d_w) > 0.25 * d_w.size
    assert skipped < 0.1 * (checked + skipped)


def make_network(params: NeuronParams, rng: np.random.Generator) -> Network:
    sizes = [4, 7, 5, 3]
    bias = [[0.9], [0.9], [1.1]]
    init = [(1.2, 1.2), (1.0, 1.0), (1.2, 1.0)]
    net = Network.initialise(sizes, bias, init, params, rng)
    for w in net.weights:
        w *= params.c * (1.6 if params.tau_ratio == 2 else 1.0)
    return net


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"r{p.tau_ratio}-c{p.c:.2f}")
def test_network_backward_matches_finite_differences(params: NeuronParams) -> None:
    rng = np.random.default_rng(5)
    net = make_network(params, rng)
    inputs = rng.uniform(0.15, 2.0, (25, 4)) * params.tau_syn
    labels = rng.integers(0, 3, 25)
    loss = SpikeTimeLoss(tau_syn=params.tau_syn)

    def f():
        times = net.forward(inputs)
        pattern = np.concatenate([
            causal_pattern(net.layer_input(times[i], i), times[i + 1]) for i in range(3)
        ])
        return loss(times[-1], labels)[0], pattern

    times = net.forward(inputs)
    assert np.isfinite(times[-1]).mean() > 0.5
    grads = net.backward(times, loss(times[-1], labels)[1])
    checked = skipped = 0
    for layer, w in enumerate(net.weights):
        for idx in np.ndindex(w.shape):
            def set_w(x, w=w, idx=idx):
                w[idx] = x

            fd = smooth_fd(f, w[idx], set_w)
            if fd is None:
                skipped += 1
                continue
            assert grads.weights[layer][idx] == pytest.approx(fd, rel=RTOL, abs=ATOL), (layer, idx)
            checked += 1
    for idx in np.ndindex(inputs.shape):
        def set_t(x, idx=idx):
            inputs[idx] = x

        fd = smooth_fd(f, inputs[idx], set_t)
        if fd is not None:
            assert grads.inputs[idx] == pytest.approx(fd, rel=RTOL, abs=ATOL)
    assert skipped < 0.2 * (checked + skipped)
    assert sum(np.count_nonzero(g) for g in grads.weights) > 40


def test_backward_uses_supplied_times_and_backward_model() -> None:
    """Measured times from another neuron model are differentiated under the backward model."""
    rng = np.random.default_rng(11)
    hw = NeuronParams(tau_ratio=1, leak=0.7, threshold=1.08, g_leak=4.0)
    chip_like = make_network(hw, rng)
    inputs = rng.uniform(0.15, 2.0, (20, 4))
    measured = chip_like.forward(inputs)
    error = rng.normal(size=measured[-1].shape)
    host = Network(chip_like.weights, chip_like.bias_times, NeuronParams.software_default(1),
                   backward_params=hw)
    # the same gradients; to rounding only, because chip_like reuses its forward pass's sums of
    # the causal sets, which host (another forward model) recomputes
    np.testing.assert_allclose(
        host.backward(measured, error).weights[0], chip_like.backward(measured, error).weights[0],
        rtol=1e-12, atol=1e-15)
    software = Network(chip_like.weights, chip_like.bias_times, NeuronParams.software_default(1))
    assert not np.allclose(software.backward(measured, error).weights[0],
                           host.backward(measured, error).weights[0])


@pytest.mark.parametrize("ratio", [1, 2])
def test_backward_reuses_forward_sums_only_for_the_weights_they_came_from(ratio: int) -> None:
    """The forward pass's sums of the causal sets stand in for the recomputed ones (same
    gradients to rounding); once the weights changed they are stale and must not be used."""
    rng = np.random.default_rng(ratio)
    net = make_network(NeuronParams.software_default(ratio), rng)
    times = net.forward(rng.uniform(0.15, 2.0, (30, 4)))
    error = rng.normal(size=times[-1].shape)
    without_sums = LayerTimes(list(times))
    without_sums.causal_until = times.causal_until
    reused = net.backward(times, error)
    np.testing.assert_allclose(reused.weights[0], net.backward(without_sums, error).weights[0],
                               rtol=1e-10, atol=1e-14)
    for w in net.weights:
        w += rng.normal(0.0, 0.05, w.shape)
    stale = net.backward(times, error)
    recomputed = net.backward(without_sums, error)
    for got, expected in zip(stale.weights, recomputed.weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_gradient_clipping_drops_large_per_sample_neuron_gradients() -> None:
    rng = np.random.default_rng(3)
    params = NeuronParams.software_default(1)
    t_in = rng.uniform(0, 2, (50, 5))
    w = rng.normal(1.0, 0.8, (5, 6))
    t_out = first_spike_times(t_in, w, params)
    err = rng.normal(size=t_out.shape)
    d_w, _ = spike_time_jacobians(t_in, w, t_out, params)
    per_sample = d_w * err[:, None, :]
    limit = float(np.median(np.abs(per_sample).max(axis=1)))
    clipped, _ = layer_backward(t_in, w, t_out, err, params, max_dw_norm=limit)
    keep = np.abs(per_sample).max(axis=1) <= limit
    np.testing.assert_allclose(clipped, (per_sample * keep[:, None, :]).sum(axis=0))
    unclipped, _ = layer_backward(t_in, w, t_out, err, params)
    assert not np.allclose(clipped, unclipped)


@pytest.mark.parametrize("ratio", [1, 2])
def test_measured_times_use_paper_formulas_with_causal_set_from_measured_time(ratio: int) -> None:
    """With hardware-measured output times (not the model's), the causal set is {t_i <= T} and
    the closed-form derivatives take the measured T, W / S from the causal inputs."""
    import scipy.special

    params = NeuronParams(tau_ratio=ratio, leak=0.7, threshold=1.08, g_leak=4.0)
    rng = np.random.default_rng(21)
    t_in = rng.uniform(0.0, 2.0, (40, 5))
    w = rng.normal(2.0, 1.5, (5, 3)) * (3.0 if ratio == 2 else 1.0)
    measured = first_spike_times(t_in, w, params) + rng.normal(0, 0.05, (40, 3))
    d_w, d_t = spike_time_jacobians(t_in, w, measured, params)
    c = params.c
    n_checked = 0
    for b in range(40):
        for k in range(3):
            big_t = measured[b, k]
            causal = t_in[b] <= big_t
            e1 = np.exp(t_in[b]) * causal
            e2 = np.exp(t_in[b] / 2) * causal
            a1 = np.sum(w[:, k] * e1)
            if not np.isfinite(big_t) or a1 <= 0:
                assert np.all(d_w[b, :, k] == 0)
                continue
            if ratio == 1:
                z = -(c / a1) * np.exp(np.sum(w[:, k] * t_in[b] * e1) / a1)
                if z < -np.exp(-1):
                    assert np.all(d_w[b, :, k] == 0)
                    continue
                lw = scipy.special.lambertw(z).real
                exp_w = -e1 * (big_t - t_in[b]) / (a1 * (1 + lw))
                exp_t = -w[:, k] * e1 * (big_t - t_in[b] - 1) / (a1 * (1 + lw))
            else:
                a2 = np.sum(w[:, k] * e2)
                if a2**2 - 4 * a1 * c <= 0:
                    assert np.all(d_w[b, :, k] == 0)
                    continue
                s = np.sqrt(a2**2 - 4 * a1 * c)
                fac = (1 + c / s * np.exp(big_t / 2)) * e1 / a1
                exp_w = 2 * (fac - e2 / s)
                exp_t = w[:, k] * (2 * fac - e2 / s)
            np.testing.assert_allclose(d_w[b, :, k], exp_w * causal, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(d_t[b, :, k], exp_t * causal, rtol=1e-9, atol=1e-12)
            n_checked += 1
    assert n_checked > 60
