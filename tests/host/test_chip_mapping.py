"""The paper's network mapping on an (ideal and a mismatched) emulated chip: placement limits,
weight quantisation report, and measured first-spike times against the exact model."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.host.chip.mapping import MappingError, Placement, map_network
from bss2emu.host.chip.neurons import backward_threshold
from bss2emu.host.chip.runner import BatchRunner
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times

from .chipdevice import InProcessDevice


def _network(rng: np.random.Generator):
    w_in = rng.normal(0.25, 0.45, (25, 120))
    w_out = rng.normal(0.15, 0.6, (120, 3))
    return np.round(w_in * 30) / 30, np.round(w_out * 30) / 30


def _inputs(rng: np.random.Generator, batch: int) -> np.ndarray:
    xy = rng.random((batch, 2))
    t = np.concatenate([0.15 + 1.85 * np.concatenate([xy, 1 - xy], axis=1),
                        np.full((batch, 1), 0.9)], axis=1)
    return np.repeat(t, 5, axis=1)


def test_ideal_chip_reproduces_the_exact_model():
    rng = np.random.default_rng(0)
    w_in, w_out = _network(rng)
    chip = Chip(seed=0, fpn_scale=0.0)
    placement, writes, report, _ = map_network(w_in, w_out)
    device = InProcessDevice(chip)
    device.write(*writes)
    inputs = _inputs(rng, 40)
    hidden, out = BatchRunner(device, placement).run(inputs)
    params = NeuronParams(threshold=backward_threshold())
    exp_hidden = first_spike_times(inputs, w_in, params)
    exp_out = first_spike_times(exp_hidden, w_out, params)
    both = np.isfinite(hidden) & np.isfinite(exp_hidden)
    assert np.mean(np.isfinite(hidden) == np.isfinite(exp_hidden)) > 0.97
    assert both.sum() > 1000
    # tau_mem and tau_syn are ~1% apart on the ideal chip (transfer-function quantisation),
    # and times are quantised to 8 ns = 0.0013 model units
    assert np.median(np.abs(hidden[both] - exp_hidden[both])) < 0.02
    agree = np.isfinite(out) & np.isfinite(exp_out)
    assert agree.sum() > 60
    assert np.median(np.abs(out[agree] - exp_out[agree])) < 0.05


def test_windows_are_independent():
    rng = np.random.default_rng(1)
    w_in, w_out = _network(rng)
    chip = Chip(seed=5)
    placement, writes, _, _ = map_network(w_in, w_out)
    device = InProcessDevice(chip)
    device.write(*writes)
    inputs = np.repeat(_inputs(rng, 1), 6, axis=0)
    hidden, out = BatchRunner(device, placement).run(inputs)
    assert np.isfinite(hidden).sum() > 100
    assert np.allclose(hidden, hidden[0], atol=2 / 750, equal_nan=True)  # 2 FPGA ticks


def test_mapping_limits_and_report():
    with pytest.raises(MappingError, match="at most 128"):
        Placement(129, 10, 3)
    with pytest.raises(MappingError, match="label neurons"):
        Placement(4, 10, 33)
    with pytest.raises(MappingError, match="do not chain"):
        map_network(np.zeros((4, 10)), np.zeros((9, 3)))
    w_in = np.array([[3.0, 0.01, -0.5]])
    w_out = np.ones((3, 2))
    _, _, report, (hw_in, _) = map_network(w_in, w_out)
    assert hw_in.tolist() == [[63, 0, -15]]
    assert report.clipped == 1 and report.rounded_to_zero == 1
    assert "clipped" in report.summary()


def test_weight_updates_rewrite_only_changed_synapses():
    """The first batch writes every synapse row; a later batch's program rewrites only the
    weight quads whose integer weights changed, before its playback."""
    from bss2emu.host.chip.backend import ChipBackend
    from bss2emu.host.learning.network import Network

    rng = np.random.default_rng(2)
    w_in, w_out = _network(rng)
    network = Network([w_in, w_out], [[], []], NeuronParams())
    chip = Chip()
    backend = ChipBackend(InProcessDevice(chip))
    inputs = _inputs(rng, 2)
    backend.forward(network, inputs)
    first = backend.synapse_words_written
    network.weights[0][3, 7] += 1.0 / 30  # one integer weight step
    network.weights[1][5, 1] += 0.001  # rounds to the same integer: nothing to write
    backend.forward(network, inputs)
    assert backend.synapse_words_written - first == 1
    column = backend.placement.hidden_neurons[7]
    hw = int(round(network.weights[0][3, 7] * 30))
    assert chip.config.weight[0, 6, column] - chip.config.weight[0, 7, column] == hw


@pytest.mark.parametrize("shape", [(25, 120, 3), (1, 1, 1), (128, 128, 32), (7, 40, 10)])
def test_weight_words_equal_whole_encoded_rows(shape):
    """The weight quads encoded one by one give the words of whole rows encoded from dense
    magnitude planes (excitatory row 2i, inhibitory row 2i + 1; a hidden neuron's two bottom
    rows), at the same addresses; every other synapse word is left as it was."""
    from bss2emu.host.chip.mapping import weight_writes
    from bss2emu.protocol import omnibus as ob
    from bss2emu.protocol.synapse import encode_weight_rows

    n_in, n_hidden, n_labels = shape
    placement = Placement(*shape)
    rng = np.random.default_rng(n_in)
    w_in = rng.integers(-63, 64, (n_in, n_hidden))
    w_out = rng.integers(-63, 64, (n_hidden, n_labels))
    top = np.zeros((2 * n_in, 256), np.int64)
    top[0::2, placement.hidden_neurons] = np.maximum(w_in, 0)
    top[1::2, placement.hidden_neurons] = np.maximum(-w_in, 0)
    bottom = np.zeros((256, 256), np.int64)
    drivers = placement.hidden_drivers
    bottom[2 * drivers, :n_labels] = np.maximum(w_out, 0)
    bottom[2 * drivers + 1, :n_labels] = np.maximum(-w_out, 0)
    addresses, words = weight_writes(placement, w_in, w_out)
    got = dict(zip(addresses.tolist(), words.tolist(), strict=True))
    zero = dict(zip(*(a.tolist() for a in weight_writes(placement, 0 * w_in, 0 * w_out)),
                    strict=True))
    expected = dict(zero)
    for h, plane in ((0, top), (1, bottom)):
        index = np.arange(plane.shape[0] * ob.QUADS_PER_ROW)
        expected.update(zip(ob.block("synapse_weight_quad", h).addresses(index).tolist(),
                            encode_weight_rows(plane).ravel().tolist(), strict=True))
    assert got == expected
    assert sum(got[a] != zero[a] for a in got) > 0
