"""Distortions of the forward pass: the exact solver for per-neuron time constants and
thresholds, the fixed-pattern draws, and training under each condition."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.learning.distorted_backend import TEST, DistortedBackend
from bss2emu.host.learning.distortions import Distortions, FixedPattern, quantised
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import first_spike_times
from bss2emu.host.learning.spread_spiketime import first_spike_times_spread
from scipy.optimize import brentq

from bss2emu import api


def _inputs(rng: np.random.Generator, batch: int, n_in: int, n_out: int
            ) -> tuple[np.ndarray, np.ndarray]:
    times = rng.uniform(0.0, 3.0, (batch, n_in))
    times[rng.random(times.shape) < 0.1] = np.inf
    return times, rng.normal(0.3, 1.0, (n_in, n_out))


@pytest.mark.parametrize("ratio", [1, 2])
def test_spread_solver_matches_the_closed_forms(ratio: int) -> None:
    rng = np.random.default_rng(ratio)
    params = NeuronParams.software_default(ratio)
    times, weights = _inputs(rng, 100, 20, 30)
    expected, horizon = first_spike_times(times, weights, params, with_causal=True)
    got, got_horizon = first_spike_times_spread(times, weights, 1.0, np.full(30, float(ratio)),
                                                np.full(30, params.c))
    assert np.array_equal(np.isfinite(got), np.isfinite(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=1e-12)
    assert np.array_equal(got_horizon, horizon)


def _potential(t: np.ndarray, times: np.ndarray, w: np.ndarray, ratio: float) -> np.ndarray:
    """g V(t) summed PSP by PSP: (e^{-s/r} - e^{-s}) / (r - 1) per input (tau_s = 1)."""
    s = t[:, None] - times[None, :]
    live = np.isfinite(times) & (s > 0)
    s = np.where(live, s, 0.0)
    return np.sum(np.where(live, w * (np.exp(-s / ratio) - np.exp(-s)) / (ratio - 1.0), 0.0),
                  axis=1)


def test_spread_solver_finds_the_first_crossing_of_any_ratio() -> None:
    """Against a dense grid and brentq, one neuron at a time, for ratios far from 1 and 2."""
    rng = np.random.default_rng(5)
    ratios = np.array([0.6, 1.3, 1.7, 3.0])
    c = np.array([0.9, 1.0, 0.7, 0.5])
    times, weights = _inputs(rng, 40, 8, 4)
    got, _ = first_spike_times_spread(times, weights, 1.0, ratios, c)
    grid = np.arange(0.0, 20.0, 1e-3)
    checked = 0
    for b in range(len(times)):
        for j in range(4):
            excess = _potential(grid, times[b], weights[:, j], ratios[j]) - c[j]
            above = np.nonzero(excess >= 0)[0]
            if above.size == 0:
                assert got[b, j] == np.inf
                continue
            k = above[0]
            root = brentq(lambda t, b=b, j=j: _potential(np.array([t]), times[b],
                                                        weights[:, j], ratios[j])[0] - c[j],
                          grid[k - 1], grid[k], xtol=1e-14)
            assert got[b, j] == pytest.approx(root, abs=1e-9)
            checked += 1
    assert checked > 40


def test_same_seed_same_substrate_and_options_are_independent() -> None:
    a = FixedPattern.draw(Distortions(tau_ratio_spread=0.1, dead_fraction=0.25, seed=4),
                          [4, 20, 3])
    b = FixedPattern.draw(Distortions(tau_ratio_spread=0.1, dead_fraction=0.25, seed=4,
                                      threshold_spread=0.3), [4, 20, 3])
    assert np.array_equal(a.tau_factor[0], b.tau_factor[0])
    assert np.array_equal(a.dead[0], b.dead[0]) and a.dead[0].sum() == 5
    assert not a.dead[1].any()  # label neurons never die
    c = FixedPattern.draw(Distortions(tau_ratio_spread=0.1, seed=5), [4, 20, 3])
    assert not np.array_equal(a.tau_factor[0], c.tau_factor[0])


def test_quantisation_levels_and_range() -> None:
    w = np.random.default_rng(0).normal(0.0, 1.0, (50, 40))
    q = quantised(w, 3, None)
    assert len(np.unique(np.round(q / (np.abs(w).max() / 7)))) <= 15
    assert np.abs(quantised(w, 2, 0.5)).max() == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [dict(jitter=-1.0), dict(weight_bits=0), dict(weight_range=0.0),
                                 dict(dead_fraction=1.0), dict(condition="always"),
                                 dict(seed=-2)])
def test_bad_magnitudes_are_refused(bad: dict) -> None:
    with pytest.raises(LearningInputError):
        Distortions(**bad)
    with pytest.raises(LearningInputError, match="unknown distortions"):
        Distortions.from_dict({"noise": 1.0})


def _run(distortions: dict | None, seed: int = 1) -> tuple:
    config = api.config_for("software")
    config.epochs, config.seed = 2, seed
    config.distortions = distortions
    data = api.load_training_data(config).head(300)
    with api.open_trainer("software", config, data) as trainer:
        trainer.train(config.epochs)
        loss, accuracy, times = trainer.test()
    return trainer, loss, accuracy, times


def test_test_only_distortions_leave_training_alone_and_repeat_exactly() -> None:
    clean = _run(None)
    test_only = _run(Distortions(jitter=0.1, dead_fraction=0.2, condition="test").to_dict())
    again = _run(Distortions(jitter=0.1, dead_fraction=0.2, condition="test").to_dict())
    assert test_only[0].history[-1]["validation_loss"] == clean[0].history[-1]["validation_loss"]
    for a, b in zip(test_only[0].network.weights, clean[0].network.weights, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(test_only[3], again[3]) and test_only[3] is not again[3]
    assert not np.array_equal(test_only[3], clean[3])


def test_in_the_loop_distortions_shape_the_training() -> None:
    loop = _run(Distortions(tau_ratio_spread=0.2, weight_range=1.0, dead_fraction=0.2,
                            seed=3).to_dict())
    trainer = loop[0]
    assert all(np.abs(w).max() <= 1.0 for w in trainer.network.weights)
    backend = trainer.test_backend
    assert isinstance(backend, DistortedBackend)
    backend.reseed(TEST, 0)
    times = backend.forward(trainer.network, trainer.data.test.times[:20])
    dead = backend.dead_masks(trainer.network)[0]
    assert dead.sum() == round(0.2 * dead.size) and np.isinf(times[1][:, dead]).all()
    assert loop[2] == _run(trainer.config.distortions)[2]


def test_a_resumed_run_draws_the_same_jitter() -> None:
    whole = _run(Distortions(jitter=0.1, seed=2).to_dict())[0]
    config = whole.config
    data = whole.data
    with api.open_trainer("software", config, data) as first:
        first.train(1)
        state = first.state()
    with api.open_trainer("software", config, data, state=state) as resumed:
        resumed.train(config.epochs)
    for a, b in zip(whole.network.weights, resumed.network.weights, strict=True):
        assert np.array_equal(a, b)
