"""Correlation sensors, the CADC and the column random generators that PPU programs read."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.chipsim.cadc import CADC_MAX, Cadc
from bss2emu.chipsim.config import ChipConfig
from bss2emu.chipsim.correlation import CorrelationSensors
from bss2emu.chipsim.geometry import ROUTING_LATENCY_TICKS
from bss2emu.chipsim.parallel_rng import ParallelRng, is_primitive, polynomials
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob

from tests.ppu.chip_support import NEURON, inputs, one_neuron_writes


def _config(col: int) -> ChipConfig:
    config = ChipConfig()
    config.corr_internal_causal[0, col] = config.corr_internal_acausal[0, col] = True
    return config


def _pre(t: int, row: int, col: int):
    match = np.zeros((1, ob.COLUMNS), bool)
    match[0, col] = True
    return (t, 0, np.array([row]), match)


@pytest.mark.parametrize("dt", [1, 100, 1250, 5000])
def test_pairings_follow_the_exponential_with_the_synapse_parameters(dt):
    sensors = CorrelationSensors(seed=4)
    config = _config(7)
    config.time_calib[0, 3, 7], config.amp_calib[0, 3, 7] = 3, 1
    tau, amp = sensors.parameters(config)
    # causal: arrival at 1000, spike dt later
    sensors.record(config, [_pre(1000, 3, 7)], np.array([1000 + dt]), np.array([7]))
    assert sensors.accumulator[0, 0, 3, 7] == pytest.approx(amp[0, 0, 3, 7]
                                                            * np.exp(-dt / tau[0, 0, 3, 7]))
    # acausal: the next arrival pairs with that spike
    sensors.record(config, [_pre(1000 + 2 * dt, 3, 7)], np.zeros(0, int), np.zeros(0, int))
    assert sensors.accumulator[1, 0, 3, 7] == pytest.approx(amp[1, 0, 3, 7]
                                                            * np.exp(-dt / tau[1, 0, 3, 7]))
    untouched = sensors.accumulator.copy()
    untouched[:, 0, 3, 7] = 0
    assert not untouched.any()


def test_calibration_bits_trim_time_constant_and_amplitude():
    sensors = CorrelationSensors(seed=0)
    config = ChipConfig()
    taus, amps = [], []
    for code in range(4):
        config.time_calib[:] = config.amp_calib[:] = code
        tau, amp = sensors.parameters(config)
        taus.append(tau[0, 0, 0, 0])
        amps.append(amp[1, 1, 5, 9])
    assert np.all(np.diff(taus) > 0) and np.all(np.diff(amps) > 0)
    tau, amp = sensors.parameters(config)  # mismatch: synapses differ
    assert np.std(tau) / np.mean(tau) > 0.05 and np.std(amp) / np.mean(amp) > 0.05


def test_disabled_columns_do_not_accumulate_and_reset_clears_a_row():
    sensors = CorrelationSensors(seed=1)
    config = _config(7)
    sensors.record(config, [_pre(10, 0, 7), _pre(10, 0, 8) ], np.array([50, 50]),
                   np.array([7, 8]))
    assert sensors.accumulator[0, 0, 0, 7] > 0 and sensors.accumulator[0, 0, 0, 8] == 0
    sensors.reset(0, 0, 0, np.array([7]))
    assert sensors.accumulator[0, 0, 0, 7] == 0


def test_network_run_feeds_the_sensors_with_arrivals_and_spikes():
    """The causal accumulator of the driven synapse equals the nearest-neighbour sum over the
    run's input arrivals and neuron spikes, computed here independently."""
    chip = Chip(5)
    chip.write_many(*one_neuron_writes())
    chip.write_many(*b.column_correlation(0, internal_causal=_only(NEURON),
                                          internal_acausal=_only(NEURON)))
    times_us = [1, 3, 5, 9, 13, 15, 17]
    result = chip.run(inputs(times_us), 125 * 25)
    post = result.spikes["chip_time"][result.spikes["neuron"] == NEURON]
    assert post.size >= 2
    pre = np.round(np.array(times_us) * 125).astype(np.int64) * 2
    tau, amp = chip.correlation.parameters(chip.config)
    causal = sum(amp[0, 0, 0, NEURON] * np.exp(-(t - pre[pre <= t].max()) / tau[0, 0, 0, NEURON])
                 for t in post if (pre <= t).any())
    acausal = sum(amp[1, 0, 0, NEURON] * np.exp(-(t - post[post < t].max())
                                                / tau[1, 0, 0, NEURON])
                  for t in pre if (post < t).any())
    acc = chip.correlation.accumulator
    assert acc[0, 0, 0, NEURON] == pytest.approx(causal)
    assert acc[1, 0, 0, NEURON] == pytest.approx(acausal)
    assert np.count_nonzero(acc) == 2
    assert ROUTING_LATENCY_TICKS > 0  # neuron spikes reach synapses later than they fire


def test_correlation_state_carries_across_runs():
    one = Chip(6)
    one.write_many(*one_neuron_writes())
    one.write_many(*b.column_correlation(0, internal_causal=_only(NEURON)))
    two = Chip(6)
    two.write_many(*one_neuron_writes())
    two.write_many(*b.column_correlation(0, internal_causal=_only(NEURON)))
    one.run(inputs([1, 3, 5, 7, 9, 11, 13, 15]), 125 * 20)
    two.run(inputs([1, 3, 5, 7, 9]), 125 * 10)
    two.run(inputs([1, 3, 5]), 125 * 10)
    assert two.correlation.accumulator[0, 0, 0, NEURON] > 0
    assert two.correlation.accumulator[0, 0, 0, NEURON] == pytest.approx(
        one.correlation.accumulator[0, 0, 0, NEURON], rel=0.05)


def test_cadc_codes_clip_and_offsets_are_per_channel():
    cadc = Cadc(seed=2)
    same = np.full(4, 5)  # one channel, four accumulator values
    codes = cadc.convert(0, 0, 3, same, np.array([0.0, 10.0, 1e6, -1e6]), np.zeros(4),
                         np.zeros(4, bool))
    assert codes[2] == CADC_MAX and codes[3] == 0
    assert codes[1] - codes[0] == 10
    cols = np.arange(4)
    codes = cadc.convert(0, 0, 3, cols, np.zeros(4), np.zeros(4), np.zeros(4, bool))
    assert np.array_equal(cadc.buffer[0, 0, 3, :4], codes)
    assert np.std(cadc.offset) > 1.0
    mem = cadc.convert(1, 1, 0, cols, np.zeros(4), np.array([0.0, 0.3, 0.6, 1.2]),
                       np.ones(4, bool))
    assert np.all(np.diff(mem.astype(int)) > 50)  # 1.2 V full scale over 8 bit


def test_column_random_generators_are_distinct_primitive_lfsrs():
    taps = polynomials()
    assert taps.shape == (2, 256) and np.unique(taps).size == 512
    assert all(is_primitive((1 << 16) | int(t)) for t in taps.reshape(-1)[::37])
    assert not is_primitive((1 << 16) | 0x0001)  # x^16 + 1 is reducible
    rng = ParallelRng(seed=9)
    col = np.array([17])
    start = int(rng.state[0, 17])
    period = 0
    while True:  # 8 steps per read: 65535 is odd, so the state returns after 65535 reads
        rng.read(0, col)
        period += 1
        if int(rng.state[0, 17]) == start:
            break
    assert period == 65535
    a, b2 = ParallelRng(seed=9), ParallelRng(seed=9)
    assert np.array_equal(a.read(1, np.arange(256)), b2.read(1, np.arange(256)))
    assert not np.array_equal(ParallelRng(seed=10).read(1, np.arange(256)),
                              ParallelRng(seed=9).read(1, np.arange(256)))


def _only(column: int) -> np.ndarray:
    """A per-column switch array with one column on."""
    on = np.zeros(256, np.uint32)
    on[column] = 1
    return on
