"""The C writer of a run's spike and event records against its numpy form."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim.engine import output_records
from bss2emu.chipsim.errors import EngineError
from bss2emu.chipsim.events import OUTPUT_EVENT_DTYPE, SPIKE_DTYPE, output_records_reference
from bss2emu.protocol.clocks import CHIP_TICKS_PER_FPGA_TICK


@pytest.mark.parametrize("seed", range(20))
def test_records_match_numpy_merge(seed):
    rng = np.random.default_rng(seed)
    n_neurons, n_external = 512, 40
    n, n_in = rng.integers(0, 300, 2)
    # few distinct times, so that spikes and arrivals often share one
    ticks = np.sort(rng.integers(0, 50, n)).astype(np.int64)
    neurons = rng.integers(0, n_neurons, n).astype(np.int32)
    in_tick = np.sort(rng.integers(0, 50, n_in)).astype(np.int64)
    in_source = rng.integers(n_neurons, n_neurons + n_external, n_in).astype(np.int32)
    source_l2 = np.where(rng.random(n_neurons + n_external) < 0.5, -1,
                         rng.integers(0, 1 << 16, n_neurons + n_external))
    count = np.arange(n_neurons, dtype=np.int64)  # counters that already hold counts
    spikes, events = output_records(ticks, neurons, in_tick, in_source, source_l2, count)
    want_spikes, want_events = output_records_reference(ticks, neurons, in_tick, in_source,
                                                         source_l2)
    assert spikes.dtype == SPIKE_DTYPE and events.dtype == OUTPUT_EVENT_DTYPE
    assert spikes.tobytes() == want_spikes.tobytes()
    assert events.tobytes() == want_events.tobytes()
    assert np.array_equal(count, np.arange(n_neurons) + np.bincount(neurons, minlength=n_neurons))


def test_empty_run_gives_empty_records():
    spikes, events = output_records(np.zeros(0, np.int64), np.zeros(0, np.int32),
                                    np.zeros(0, np.int64), np.zeros(0, np.int32),
                                    np.array([-1, 7]), np.zeros(2, np.int64))
    assert spikes.size == 0 and events.size == 0


def test_records_outlive_the_call_and_are_independent():
    ticks, neurons = np.array([3, 8]), np.array([0, 1], np.int32)
    spikes, events = output_records(ticks, neurons, np.zeros(0, np.int64),
                                    np.zeros(0, np.int32), np.array([9, -1]),
                                    np.zeros(2, np.int64))
    ticks[:] = 0
    assert spikes["chip_time"].tolist() == [3, 8]
    assert events.tolist() == [(3 // CHIP_TICKS_PER_FPGA_TICK, 3, 9)]


def test_unsorted_spikes_and_unknown_neurons_are_refused():
    count = np.zeros(2, np.int64)
    with pytest.raises(EngineError):
        output_records(np.array([5, 4]), np.array([0, 1], np.int32), np.zeros(0, np.int64),
                       np.zeros(0, np.int32), np.array([-1, 1]), count)
    with pytest.raises(EngineError):  # a neuron beyond the counters
        output_records(np.array([4, 5]), np.array([0, 2], np.int32), np.zeros(0, np.int64),
                       np.zeros(0, np.int32), np.array([-1, 1, 3]), count)
    with pytest.raises(EngineError):  # counters the C writer cannot add to in place
        output_records(np.array([4]), np.array([0], np.int32), np.zeros(0, np.int64),
                       np.zeros(0, np.int32), np.array([-1, 1]), np.zeros(2, np.int32))
    assert not count.any()
