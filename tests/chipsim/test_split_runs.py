"""A run cut into pieces gives the same spikes as the whole run: neuron spikes still travelling
to their synapses (32 ns routing latency) when a piece ends arrive in the next piece. This
is what a PPU's lockstep and the FPGA's observation points do to runs."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.chipsim.geometry import ROUTING_LATENCY_TICKS
from bss2emu.host.chip.mapping import map_network
from bss2emu.host.chip.neurons import WEIGHT_SCALE


def _network(seed: int) -> tuple[Chip, np.ndarray, int]:
    """A 25-120-3 first-spike-time network (hidden spikes drive the label neurons on chip)
    and 20 samples of input spikes."""
    rng = np.random.default_rng(seed)
    chip = Chip(seed=seed)
    w_in = np.round(rng.normal(9.0, 12.0, (25, 120))) / WEIGHT_SCALE
    w_out = np.round(rng.normal(6.0, 20.0, (120, 3))) / WEIGHT_SCALE
    placement, writes, _, _ = map_network(w_in, w_out)
    chip.write_many(*writes)
    chip.run(None, 1000)  # settle after the configuration
    samples, window = 20, 6000  # 48 us per sample
    t = rng.uniform(100, 1500, (samples, 25)) + np.arange(samples)[:, None] * window
    ticks = np.round(t).astype(np.int64).ravel()
    labels = np.tile(placement.input_labels, samples)
    order = np.argsort(ticks, kind="stable")
    return chip, input_events(ticks[order], labels[order]), samples * window


@pytest.mark.parametrize("engine", ["event", "stepped"])
def test_pieces_equal_the_whole_run(engine: str):
    chip, events, duration = _network(4)
    whole = copy.deepcopy(chip).run(events, duration, engine=engine).spikes
    label_spikes = np.count_nonzero(whole["neuron"] >= 256)
    assert label_spikes > 10  # hidden spikes do reach the label layer

    # cut right after hidden spikes, inside their routing latency; on a spike's clock edge,
    # after its crossing (a crossing in one piece fires in the next); and at random points
    hidden = whole["chip_time"][whole["neuron"] < 256] // 2
    rng = np.random.default_rng(0)
    cuts = np.unique(np.concatenate([hidden[::3] + 1, hidden[1::3],
                                     rng.integers(1, duration, 200)]))
    cuts = cuts[(cuts > 0) & (cuts < duration)]
    pieces, start = [], 0
    for end in [*cuts.tolist(), duration]:
        sel = (events["time"] >= start) & (events["time"] < end)
        part = events[sel].copy()
        part["time"] -= start
        got = chip.run(part, end - start, engine=engine).spikes.copy()
        got["chip_time"] += 2 * start
        pieces.append(got)
        start = end
    split = np.concatenate(pieces)
    assert np.array_equal(split["chip_time"], whole["chip_time"])
    assert np.array_equal(split["neuron"], whole["neuron"])
    assert ROUTING_LATENCY_TICKS > 2  # the cuts above do fall inside the latency
