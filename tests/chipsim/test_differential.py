"""C event-driven engine vs the Python reference (identical events) vs the time-stepped engine
(within one chip tick) on random networks configured through the omnibus registers."""
from __future__ import annotations

import copy

import numpy as np
from bss2emu.chipsim import Chip, input_events

from .netgen import random_network

N_NETWORKS = 500


def _per_neuron(spikes: np.ndarray) -> dict[int, np.ndarray]:
    return {int(n): np.sort(spikes["chip_time"][spikes["neuron"] == n])
            for n in np.unique(spikes["neuron"])}


def test_engines_agree_on_random_networks():
    rng = np.random.default_rng(2024)
    total_spikes = total_events = spiking_networks = 0
    for k in range(N_NETWORKS):
        chip = Chip(seed=k)
        events, duration = random_network(rng, chip)
        chips = [copy.deepcopy(chip) for _ in range(3)]
        r_c = chips[0].run(events, duration, engine="event")
        r_py = chips[1].run(events, duration, engine="reference")
        r_st = chips[2].run(events, duration, engine="stepped", substeps=8)
        assert np.array_equal(r_c.spikes, r_py.spikes), f"network {k}"
        assert np.array_equal(r_c.events, r_py.events), f"network {k}"
        assert np.array_equal(chips[0].state.v, chips[1].state.v), f"network {k}"
        a, b = _per_neuron(r_c.spikes), _per_neuron(r_st.spikes)
        assert a.keys() == b.keys(), f"network {k}"
        for n in a:
            assert a[n].size == b[n].size, f"network {k} neuron {n}"
            assert np.all(np.abs(a[n] - b[n]) <= 1), f"network {k} neuron {n}"
        total_spikes += r_c.spikes.size
        spiking_networks += r_c.spikes.size > 0
        total_events += r_c.events.size
    # the random networks must actually be active for the comparison to mean something
    assert total_spikes > 5 * N_NETWORKS
    assert spiking_networks > 0.6 * N_NETWORKS
    assert total_events > 10 * N_NETWORKS


def test_membrane_samples_exact_on_the_event_engines():
    """MADC samples of the event engine: identical to the reference's closed-form samples,
    and the stepped engine's trace within a few codes of them (away from its one-tick spike
    time differences)."""
    rng = np.random.default_rng(7)
    compared = close = moving = 0
    for k in range(40):
        chip = Chip(seed=k)
        events, duration = random_network(rng, chip)
        fired = np.unique(copy.deepcopy(chip).run(events, duration).spikes["neuron"])
        if fired.size == 0:
            continue
        record = [int(n) for n in rng.choice(fired, min(2, fired.size), replace=False)]
        runs = [copy.deepcopy(chip).run(events, duration, engine=e, record=record, substeps=8)
                for e in ("event", "reference", "stepped")]
        c, py, st = runs
        assert c.engine == "event" and c.madc.shape == py.madc.shape, f"network {k}"
        assert np.array_equal(c.madc, py.madc), f"network {k}"
        assert np.array_equal(c.madc_time, st.madc_time[:c.madc.shape[0]]), f"network {k}"
        n = min(c.madc.shape[0], st.madc.shape[0])
        diff = np.abs(c.madc[:n].astype(int) - st.madc[:n].astype(int))
        compared += diff.size
        close += int(np.sum(diff <= 2))
        moving += int(np.sum(np.abs(np.diff(c.madc.astype(int), axis=0)) > 2))
    assert compared > 10_000 and moving > 0.05 * compared  # the membranes do move
    assert close > 0.95 * compared


def test_long_input_streams_with_noise_agree():
    """Thousands of inputs (the C engine takes them in chunks, replaying the neurons that only
    inputs reach on their own and looping the others) with threshold noise and comparator
    jitter: identical spikes, events and states to the reference, and the same spikes whether
    membranes are recorded (which makes the C engine loop every neuron) or not."""
    rng = np.random.default_rng(99)
    spikes = 0
    for k in range(12):
        chip = Chip(seed=k, threshold_noise=0.004 * (k % 2), jitter=15e-9 * (k % 3 > 0))
        events, duration = random_network(rng, chip)
        times = np.sort(rng.integers(0, 40 * duration, 40 * events.size))
        events = input_events(times, rng.choice(events["label"], times.size))
        runs = [copy.deepcopy(chip) for _ in range(3)]
        r_c = runs[0].run(events, 40 * duration, engine="event")
        r_py = runs[1].run(events, 40 * duration, engine="reference")
        fired = np.unique(r_c.spikes["neuron"])
        r_rec = runs[2].run(events, 40 * duration, engine="event", record=fired[:1].tolist())
        assert np.array_equal(r_c.spikes, r_py.spikes), f"network {k}"
        assert np.array_equal(r_c.events, r_py.events), f"network {k}"
        assert np.array_equal(r_c.spikes, r_rec.spikes), f"network {k}"
        for name in ("v", "je", "ji", "mode", "fire_time"):
            assert np.array_equal(getattr(runs[0].state, name), getattr(runs[1].state, name))
        spikes += r_c.spikes.size
    assert spikes > 500


def test_a_recorded_membrane_is_sampled_when_no_neuron_can_have_events():
    """A run with nothing for the event loop (no input, every neuron quiet) still samples the
    recorded membranes over the whole run, as the reference does."""
    chip = Chip(seed=3)
    runs = [copy.deepcopy(chip).run(input_events(np.zeros(0, np.int64), np.zeros(0, np.int64)),
                                    1000, engine=e, record=[5, 300])
            for e in ("event", "reference")]
    assert runs[0].madc.shape[0] > 200 and runs[0].madc.shape[1] == 2
    assert np.array_equal(runs[0].madc, runs[1].madc)
