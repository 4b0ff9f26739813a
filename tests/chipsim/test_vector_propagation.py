"""The event engine propagates the neurons that one time's arrivals reach together, on vector
lanes where the machine has them (csrc/advance_many.c), and its crossing search takes a
membrane evaluation's three exponentials on lanes (csrc/lif.c): the same bits as the scalar
code and the reference, including the lanes that take the kernel's degenerate branches (equal
or nearly equal time constants), clamped membranes, and exponentials that underflow after long
silences."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from bss2emu.chipsim import engine, reference
from bss2emu.chipsim.engine_types import NeuronState

from .tables import make_tables

N_INPUTS, N_HIDDEN, N_OUT = 24, 90, 7


def _layered(rng: np.random.Generator, n_hidden: int = N_HIDDEN):
    """Inputs -> hidden (replayed: no neuron reaches them) -> outputs (looped), signed weights
    as an excitatory and an inhibitory entry, time constants with exact and near ties."""
    nn = n_hidden + N_OUT
    tau_mem = rng.uniform(700.0, 2500.0, nn)
    tau_exc = tau_mem * rng.choice([1.0, 1.0 + 1e-9, 1.0 + 3e-6, 0.7, 1.4], nn)
    tau_inh = np.where(rng.random(nn) < 0.3, tau_mem, tau_mem * rng.uniform(0.5, 2.0, nn))
    fan: dict[int, list[tuple[int, int, float]]] = {}
    for s in range(N_INPUTS):
        fan[nn + s] = [(h, int(w < 0), abs(w)) for h, w in enumerate(rng.normal(0.02, 0.03,
                                                                               n_hidden))]
    for h in range(n_hidden):
        fan[h] = [(n_hidden + o, int(w < 0), abs(w)) for o, w in enumerate(rng.normal(0.01, 0.02,
                                                                                      N_OUT))]
    tables = make_tables(nn, fan, e_leak=0.0, v_reset=-0.05, v_threshold=0.2, tau_mem=tau_mem,
                         tau_exc=tau_exc, tau_inh=tau_inh,
                         hold=rng.integers(0, 40, nn), refractory=rng.integers(0, 600, nn))
    return tables, nn


def _inputs(rng: np.random.Generator, nn: int, n: int, t_end: int):
    """Bursts of coincident inputs with a silence long enough to underflow the exponentials."""
    times = np.concatenate([rng.integers(0, t_end // 3, n // 2),
                            rng.integers(t_end - t_end // 4, t_end, n - n // 2)])
    times = np.sort(times - times % 7)
    return times, nn + rng.integers(0, N_INPUTS, n)


def _run(run, tables, times, sources, t_end, simd: bool):
    was = engine.lib.bss2_simd_active()
    engine.lib.bss2_set_simd(int(simd))
    try:
        state = NeuronState.at_rest(tables.e_leak)
        net = engine.CNetwork(tables) if run is engine.event_run else tables
        ticks, neurons, _ = run(net, state, times, sources, t_end)
        return ticks, neurons, state
    finally:
        engine.lib.bss2_set_simd(was)


def _same_state(a: NeuronState, b: NeuronState) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("v", "je", "ji", "mode", "fire_time", "spike_index"))


@pytest.fixture(scope="module")
def vector_lanes():
    if not engine.lib.bss2_set_simd(1):
        pytest.skip("this machine has no AVX2 lanes: both runs would be scalar")


def test_vector_lanes_give_the_scalar_bits(vector_lanes):
    rng = np.random.default_rng(5)
    spikes = 0
    for _ in range(3):
        tables, nn = _layered(rng)
        t_end = 2_000_000  # a silence of ~1e6 ticks: e^{-t/tau} underflows in between
        times, sources = _inputs(rng, nn, 3000, t_end)
        vec = _run(engine.event_run, tables, times, sources, t_end, simd=True)
        sca = _run(engine.event_run, tables, times, sources, t_end, simd=False)
        assert np.array_equal(vec[0], sca[0]) and np.array_equal(vec[1], sca[1])
        assert _same_state(vec[2], sca[2])
        spikes += vec[0].size
        assert np.isin(np.arange(N_HIDDEN, nn), vec[1]).any(), "the outputs must fire too"
    assert spikes > 1000


def test_vector_lanes_match_the_reference(vector_lanes):
    rng = np.random.default_rng(6)
    tables, nn = _layered(rng, n_hidden=14)
    t_end = 1_500_000
    times, sources = _inputs(rng, nn, 400, t_end)
    c = _run(engine.event_run, tables, times, sources, t_end, simd=True)
    py = _run(reference.event_run, copy.deepcopy(tables), times, sources, t_end, simd=True)
    assert c[0].size > 20
    assert np.array_equal(c[0], py[0]) and np.array_equal(c[1], py[1])
    assert _same_state(c[2], py[2])
