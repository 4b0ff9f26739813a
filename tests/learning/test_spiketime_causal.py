"""An inhibitory input within 1e-10 of a threshold crossing: forward and backward agree on the
causal set, and the forward time is the true membrane's (independent search in reference_lif).

Regression: the window test used to accept a crossing up to a 1e-9 tolerance past the next
input, so an inhibitory input arriving just before the crossing was ignored (a spike the true
membrane never makes, or one at the wrong time), and the backward pass, re-deriving the causal
set from the output time, then counted that input: a gradient of the wrong sign."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.learning.gradients import layer_backward
from bss2emu.host.learning.network import Network
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times
from reference_lif import first_crossing

P = NeuronParams.software_default(1)
EXC = np.array([[0.0, 0.1]])
W_EXC = np.array([[1.6], [1.5]])


def _crossing_of_excitation() -> float:
    return float(first_spike_times(EXC, W_EXC, P)[0, 0])


@pytest.mark.parametrize("offset", [-1e-10, -3e-11, 1e-10, 3e-11])
@pytest.mark.parametrize("w_inh", [-0.5, -3.0])
def test_inhibitory_input_at_the_crossing(offset, w_inh):
    t_star = _crossing_of_excitation()
    times = np.array([[0.0, 0.1, t_star + offset]])
    weights = np.vstack([W_EXC, [[w_inh]]])
    out, horizon = first_spike_times(times, weights, P, with_causal=True)
    expect, _ = first_crossing(times[0], weights[:, 0], P)
    if offset > 0:  # the crossing comes first: the inhibitory input is not causal
        assert out[0, 0] == pytest.approx(t_star, abs=1e-12)
        assert horizon[0, 0] == pytest.approx(0.1)
    else:  # it arrives first: the spike is the one the inhibited membrane makes (if any)
        assert horizon[0, 0] == times[0, 2] or not np.isfinite(out[0, 0])
        if np.isfinite(expect):
            assert out[0, 0] == pytest.approx(expect, abs=1e-9)
            if w_inh <= -3.0:  # strong inhibition delays the spike visibly
                assert out[0, 0] > t_star + 1e-3
        else:
            assert not np.isfinite(out[0, 0])
    grad, _ = layer_backward(times, weights, out, np.ones((1, 1)), P, causal_until=horizon)
    if not np.isfinite(out[0, 0]):
        assert np.all(grad == 0)
        return
    inh_causal = offset < 0
    assert (grad[2, 0] != 0) == inh_causal
    # a larger weight always makes a spike earlier: every causal gradient is negative
    assert np.all(grad[:2, 0] < 0)
    if inh_causal:
        assert grad[2, 0] < 0
    if inh_causal and w_inh <= -3.0:  # the true derivative (measurable once the spike moved)
        step = 1e-6
        moved = first_spike_times(times, weights + np.array([[0], [0], [step]]), P)[0, 0]
        assert (moved - out[0, 0]) / step == pytest.approx(grad[2, 0], rel=1e-3)


def test_network_backward_uses_the_forward_causal_sets():
    """Network.forward hands its causal sets to backward; measured times (a plain list) fall
    back to the inputs at or before each spike."""
    t_star = _crossing_of_excitation()
    net = Network([np.vstack([W_EXC, [[-0.5]]])], [[]], P)
    inputs = np.array([[0.0, 0.1, t_star - 1e-10]])
    times = net.forward(inputs)
    assert times.causal_until[0][0, 0] == inputs[0, 2]
    grads = net.backward(times, np.ones((1, 1)))
    assert grads.weights[0][2, 0] < 0
    measured = net.backward(list(times), np.ones((1, 1)))
    np.testing.assert_allclose(measured.weights[0], grads.weights[0])
