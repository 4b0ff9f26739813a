"""Analog model: fixed-pattern noise per chip seed (measured through the MADC), determinism,
temporal noise, AdEx adaptation, spike counters and background generators."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from bss2emu.chipsim import Chip, ChipError, input_events
from bss2emu.chipsim.geometry import CHIP_TICK_S, MADC_SAMPLE_INTERVAL_TICKS
from bss2emu.protocol import builders as b
from bss2emu.protocol.layouts.neuron import SPIKE_COUNTER_READ

NEURONS = np.arange(0, 512, 37)  # spread over both hemispheres and all quadrants


def configure(chip: Chip, *, v_leak=400, v_reset=200, v_threshold=600, refractory=20,
              **extra_config) -> None:
    writes = [b.common_neuron_backend(s, clock_scale_slow=0) for s in range(2)]
    for n in NEURONS:
        writes += [
            b.neuron_capmem(int(n), v_leak=v_leak, v_reset=v_reset, v_threshold=v_threshold,
                            i_bias_leak=228, i_bias_synin_exc_tau=186,
                            i_bias_synin_inh_tau=186),
            b.neuron_config(int(n), membrane_capacitor_size=63, enable_fire=1,
                            enable_threshold_comparator=1, **extra_config),
            b.neuron_backend(int(n), refractory_time=refractory, reset_holdoff=15),
        ]
    chip.write_many(*b.concat(*writes))


def measured_tau_mem(chip: Chip) -> np.ndarray:
    """Membrane time constants from the MADC: reset each neuron, fit its relaxation to leak."""
    configure(chip)
    for n in NEURONS:
        chip.write_many(*b.neuron_reset(int(n)))
    r = chip.run(None, 5000, record=NEURONS)
    v = r.madc.astype(float)
    t = r.madc_time * CHIP_TICK_S
    rest = v[-20:].mean(axis=0)
    taus = []
    for k in range(NEURONS.size):
        gap = rest[k] - v[:, k]
        use = gap > 30  # LSB: well above the quantisation
        slope = np.polyfit(t[use], np.log(gap[use]), 1)[0]
        taus.append(-1.0 / slope)
    return np.array(taus)


def measured_threshold(chip: Chip) -> np.ndarray:
    """Thresholds from the MADC: a leak above threshold makes the neuron fire tonically; the
    membrane's maximum is the threshold (in MADC codes)."""
    configure(chip, v_leak=560, v_reset=300, v_threshold=450)
    r = chip.run(None, 10000, record=NEURONS)
    assert all(np.any(r.spikes["neuron"] == n) for n in NEURONS)
    return r.madc.max(axis=0).astype(float)


def test_mismatch_makes_chips_non_uniform_and_distinct():
    tau_a, tau_b = measured_tau_mem(Chip(seed=1)), measured_tau_mem(Chip(seed=2))
    # ideal: tau = 2.2 pF / g(228) ~ 6.1 us for every neuron
    assert 3e-6 < np.median(tau_a) < 12e-6
    assert np.std(tau_a) / np.mean(tau_a) > 0.08  # visibly non-uniform before calibration
    assert np.max(np.abs(tau_a / tau_b - 1)) > 0.1  # another chip, another pattern
    th_a, th_b = measured_threshold(Chip(seed=1)), measured_threshold(Chip(seed=2))
    assert np.std(th_a) > 3  # MADC codes (about 1.2 mV each)
    assert np.any(np.abs(th_a - th_b) > 5)


def test_same_seed_same_bits():
    results = []
    for _ in range(2):
        chip = Chip(seed=7)
        configure(chip, v_leak=560, v_reset=300, v_threshold=450)
        r = chip.run(None, 5000, record=NEURONS[:3])
        results.append((r.spikes.tobytes(), r.madc.tobytes(), chip.parameters.tau_mem.tobytes()))
    assert results[0] == results[1]


def test_temporal_noise_is_seeded_and_changes_spike_times():
    def spikes(noise_seed_chip: int, threshold_noise: float) -> np.ndarray:
        chip = Chip(seed=noise_seed_chip, threshold_noise=threshold_noise, jitter=20e-9)
        configure(chip, v_leak=560, v_reset=300, v_threshold=450)
        return chip.run(None, 20000).spikes

    a, b_, quiet = spikes(4, 0.01), spikes(4, 0.01), spikes(4, 0.0)
    assert np.array_equal(a, b_)
    assert not np.array_equal(a, quiet)
    chip = Chip(seed=4, threshold_noise=0.01, jitter=20e-9)
    configure(chip, v_leak=560, v_reset=300, v_threshold=450)
    twin = copy.deepcopy(chip)
    assert np.array_equal(chip.run(None, 3000, engine="event").spikes,
                          twin.run(None, 3000, engine="reference").spikes)


def test_adaptation_slows_tonic_firing():
    def intervals(adapt: bool) -> np.ndarray:
        chip = Chip(seed=2)
        configure(chip, v_leak=560, v_reset=300, v_threshold=450,
                  enable_adaptation=int(adapt))
        if adapt:
            for n in NEURONS[:2]:
                chip.write_many(*b.neuron_capmem(int(n), i_bias_adapt_a=0, i_bias_adapt_b=1000,
                                                 i_bias_adapt_tau=150))
        r = chip.run(None, 25000)
        t = r.spikes["chip_time"][r.spikes["neuron"] == NEURONS[0]]
        return np.diff(t)

    plain, adapted = intervals(False), intervals(True)
    assert np.ptp(plain[1:]) <= 2  # regular
    assert adapted[-1] > 1.3 * adapted[0]  # spike-frequency adaptation
    chip = Chip(seed=2)
    configure(chip, enable_adaptation=1)
    with pytest.raises(ChipError, match="stepped"):
        chip.run(None, 100, engine="event")


def test_madc_sampling_rate_and_resolution():
    chip = Chip(seed=1)
    configure(chip)
    r = chip.run(None, 1000, record=[int(NEURONS[0])])
    assert r.madc.dtype == np.uint16 and r.madc.max() < 1024
    rate = 1.0 / (MADC_SAMPLE_INTERVAL_TICKS * CHIP_TICK_S)
    assert rate == pytest.approx(29.41e6, rel=1e-3)
    assert r.madc.shape[0] == pytest.approx(1000 * 8e-9 * rate, abs=2)


def test_madc_samples_are_the_membrane_on_its_scale():
    """After a reset the samples follow V(t) = E_l + (V_reset - E_l) exp(-t / tau_mem) on the
    10-bit 0..1.2 V scale, to within one LSB."""
    chip = Chip(seed=1)
    configure(chip)
    n = int(NEURONS[1])
    chip.write_many(*b.neuron_reset(n))
    r = chip.run(None, 2000, record=[n])
    p = chip.parameters
    t = r.madc_time  # chip ticks
    v = p.e_leak[n] + (p.v_reset[n] - p.e_leak[n]) * np.exp(-t / p.tau_mem[n])
    expect = np.clip(np.round(v / 1.2 * 1023), 0, 1023)
    assert abs(int(r.madc[0, 0]) - int(expect[0])) <= 1 and r.madc[0, 0] < r.madc[-1, 0]
    np.testing.assert_allclose(r.madc[:, 0], expect, atol=1)


def test_spike_counters_count_wrap_with_sticky_overflow_and_reset():
    chip = Chip(seed=1)
    configure(chip, v_leak=560, v_reset=300, v_threshold=450, refractory=2)
    n = int(NEURONS[1])
    r = chip.run(None, 2000)
    count = int(np.sum(r.spikes["neuron"] == n))
    word = chip.read(b.spike_counter_read_address(n))
    assert 0 < count < 256
    assert SPIKE_COUNTER_READ.parse(word) == {"overflow": 0, "count": count}
    total = count + int(np.sum(chip.run(None, 400000).spikes["neuron"] == n))
    assert total > 256 and total % 256 != 255
    assert SPIKE_COUNTER_READ.parse(chip.read(b.spike_counter_read_address(n))) == {
        "overflow": 1, "count": total % 256}
    chip.write_many(*b.spike_counter_reset(n))
    assert chip.read(b.spike_counter_read_address(n)) == 0


def test_background_generator_regular_and_random():
    chip = Chip()
    chip.write_many(*b.concat(b.crossbar_node(12, 8, 0, 0),  # source 0 -> L2 out 0
                              b.background_source(0, period=250, neuron_label=0x123)))
    ev = chip.run(None, 1000).events
    assert ev["chip_time"].tolist() == [250, 500, 750, 1000, 1250, 1500, 1750]
    assert set(ev["label"].tolist()) == {0x123}

    def random_run(seed: int) -> np.ndarray:
        c = Chip()
        c.write_many(*b.concat(b.crossbar_node(12, 8, 0, 0),
                               b.background_source(0, period=10, rate=64, mask=0x0F, seed=seed,
                                                   neuron_label=0x120, enable_random=1)))
        return c.run(None, 20000).events

    a, a2, other = random_run(99), random_run(99), random_run(100)
    assert np.array_equal(a, a2) and not np.array_equal(a, other)
    assert a.size == pytest.approx(4000 * 64 / 256, rel=0.1)
    assert set(a["label"].tolist()) <= set(range(0x120, 0x130)) and len(set(a["label"])) > 8


@pytest.mark.parametrize("events, duration, message", [
    (input_events([0, 5], [1, 2]), 0, "positive"),
    (input_events([3, 1], [1, 2]), 10, "sorted"),
    (input_events([-1], [1]), 10, "negative"),
    (input_events([20], [1]), 10, "inside the run"),
    (np.zeros(2), 10, "structured array"),
])
def test_bad_run_input_is_named(events, duration, message):
    with pytest.raises(ChipError, match=message):
        Chip().run(events, duration)


def test_bad_event_construction_is_named():
    with pytest.raises(ChipError, match="16 bits"):
        input_events([0], [1 << 16])
    with pytest.raises(ChipError, match="whole numbers"):
        input_events([np.nan], [1])
    with pytest.raises(ChipError, match="threshold_noise"):
        Chip(threshold_noise=float("nan"))
    with pytest.raises(ChipError, match="seed"):
        Chip(seed=-1)
    with pytest.raises(ChipError, match="engine"):
        Chip().run(None, 10, engine="magic")
    with pytest.raises(ChipError, match="record"):
        Chip().run(None, 10, record=[512])
