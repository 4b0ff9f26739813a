"""The time-stepped engine: neurons with linear dynamics (LIF, or adaptation without the
exponential term) follow the exact solution of their linear system, held here against a
matrix exponential computed independently (scipy) at every membrane sample; neurons with the
exponential term keep their sub-steps."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.chipsim import Chip, ChipError, engine
from bss2emu.chipsim.engine_types import NeuronState
from scipy.linalg import expm

from .tables import make_tables

TAU_MEM, TAU_EXC, TAU_INH, TAU_ADAPT = 1500.0, 700.0, 1100.0, 4000.0
E_LEAK, INTERVAL = 0.3, 8.5


def _generator(adapt_a: float) -> np.ndarray:
    """d/dt of (v - E, w, je, ji) as the engine defines the AdEx neuron without its
    exponential term (engine units: volts, ticks; w and the currents in volts per tick)."""
    return np.array([[-1 / TAU_MEM, -1.0, 1.0, -1.0],
                     [adapt_a / TAU_ADAPT, -1 / TAU_ADAPT, 0.0, 0.0],
                     [0.0, 0.0, -1 / TAU_EXC, 0.0],
                     [0.0, 0.0, 0.0, -1 / TAU_INH]])


def _exact_trace(adapt_a: float, w0: float, arrivals: list[tuple[int, int, float]],
                 t_end: int) -> np.ndarray:
    """The membrane at every sample time from piecewise matrix exponentials between arrivals
    (an arrival at tick t acts before the samples at t)."""
    a = _generator(adapt_a)
    x, now = np.array([0.0, w0, 0.0, 0.0]), 0.0
    samples = []
    pending = sorted(arrivals)
    for ts in np.arange(0.0, t_end, INTERVAL):
        while pending and pending[0][0] <= ts:
            tick, channel, amp = pending.pop(0)
            x = expm(a * (tick - now)) @ x
            now = float(tick)
            x[2 + channel] += amp
        samples.append(E_LEAK + (expm(a * (ts - now)) @ x)[0])
    return np.array(samples)


def _stepped_trace(adex: int, adapt_a: float, w0: float, arrivals, t_end: int) -> np.ndarray:
    fan = {1 + i: [(0, channel, amp)] for i, (_, channel, amp) in enumerate(arrivals)}
    tables = make_tables(1, fan, e_leak=E_LEAK, v_threshold=10.0, tau_mem=TAU_MEM,
                         tau_exc=TAU_EXC, tau_inh=TAU_INH)
    tables.adex_enable[:] = adex
    tables.adapt_a[:] = adapt_a
    tables.tau_adapt[:] = TAU_ADAPT
    state = NeuronState.at_rest(tables.e_leak)
    state.w[:] = w0
    ticks = np.array([t for t, _, _ in arrivals], np.int64)
    sources = 1 + np.arange(len(arrivals), dtype=np.int32)
    _, _, trace = engine.stepped_run(engine.CNetwork(tables), state, ticks, sources, t_end,
                                     4, np.array([0], np.int32), np.array([0], np.int32),
                                     INTERVAL)
    return trace[:, 0]


ARRIVALS = [(40, 0, 4e-4), (900, 1, 3e-4), (1300, 0, 6e-4), (1301, 0, 2e-4)]


@pytest.mark.parametrize("adex, adapt_a, w0", [(0, 0.0, 0.0), (1, 0.0, 2e-5), (1, 3.0, 0.0),
                                               (1, 40.0, -1e-5)])
def test_linear_neurons_follow_the_exact_solution(adex, adapt_a, w0):
    t_end = 6000
    got = _stepped_trace(adex, adapt_a, w0, ARRIVALS, t_end)
    want = _exact_trace(adapt_a if adex else 0.0, w0 if adex else 0.0, ARRIVALS, t_end)
    assert got.shape == want.shape
    swing = np.ptp(want)
    assert swing > 0.01  # the inputs and the adaptation move the membrane visibly
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * swing + 1e-12)


def test_adaptation_changes_the_membrane():
    """The coupled solution differs from the LIF one when adaptation is on (so the test above
    checks the coupling, not only the LIF part)."""
    lif = _stepped_trace(0, 0.0, 0.0, ARRIVALS, 6000)
    adapting = _stepped_trace(1, 40.0, 0.0, ARRIVALS, 6000)
    assert np.max(np.abs(adapting - lif)) > 1e-3


def test_exponential_term_keeps_sub_steps():
    """With the exponential term the membrane runs away once it passes v_exp: a neuron held
    just above v_exp fires, the same neuron without the term stays below threshold."""
    tables = make_tables(1, {}, e_leak=0.55, v_threshold=0.6, tau_mem=1500.0)
    tables.adex_enable[:] = 1
    tables.v_exp[:] = 0.5
    tables.delta_t[:] = 0.02
    spikes = []
    for exponential in (0, 1):
        tables.exp_enable[:] = exponential
        state = NeuronState.at_rest(tables.e_leak)
        ticks, _, _ = engine.stepped_run(engine.CNetwork(tables), state, np.zeros(0, np.int64),
                                         np.zeros(0, np.int32), 3000, 4,
                                         np.array([0], np.int32), np.zeros(0, np.int32), 1.0)
        spikes.append(ticks.size)
    assert spikes[0] == 0 and spikes[1] > 0


@pytest.mark.parametrize("substeps", [0, -2])
def test_bad_substeps_are_named(substeps):
    with pytest.raises(ChipError, match="substeps"):
        Chip(seed=0).run(duration=100, engine="stepped", substeps=substeps)


def _tonic(neurons, adaptation: bool):
    from bss2emu.protocol import builders as b
    return b.concat(*[b.concat(
        b.neuron_capmem(n, v_leak=600, v_reset=300, v_threshold=400, i_bias_leak=500),
        b.neuron_config(n, membrane_capacitor_size=20, enable_fire=1,
                        enable_threshold_comparator=1, enable_adaptation=int(adaptation)),
        b.neuron_backend(n, refractory_time=2, enable_spike_out=1)) for n in neurons])


@pytest.mark.parametrize("neurons", [[0], [3, 200, 511], list(range(0, 64, 3))])
def test_quiet_ticks_and_recorded_runs_agree(neurons):
    """Where no neuron is busy and no arrival is due, the engine steps tick after tick without
    the tick loop's checks (one neuron: in registers); a recorded run (MADC samples every tick)
    takes the full loop. Both give the same spikes and the same state bits, over split runs
    with inputs, comparator jitter (the crossing's fraction of a tick counts) and threshold
    noise."""
    from bss2emu.chipsim import input_events
    runs = []
    for record in (None, neurons[:1]):
        chip = Chip(seed=4, jitter=15e-9, threshold_noise=0.004)
        chip.write_many(*_tonic(neurons, adaptation=True))
        spikes = []
        for part in range(3):
            events = input_events(np.array([100, 2500 + part, 2501 + part]), np.array([1, 2, 3]))
            spikes.append(chip.run(events, 30_000, engine="stepped", record=record).spikes)
        runs.append((np.concatenate(spikes), chip.state))
    (s_quiet, st_quiet), (s_rec, st_rec) = runs
    assert s_quiet.size > 20 * len(neurons)
    assert np.array_equal(s_quiet, s_rec)
    for name in ("v", "w", "je", "ji", "mode", "fire_time", "spike_index"):
        assert np.array_equal(getattr(st_quiet, name), getattr(st_rec, name)), name
