"""Loss, optimiser, weight bumping, checkpoints and exact resume of the training loop."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from bss2emu.host.learning.adam import Adam, step_learning_rate
from bss2emu.host.learning.backend import SoftwareBackend
from bss2emu.host.learning.bumping import WeightBumper
from bss2emu.host.learning.checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset, Split, load_dataset
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.loss import SILENT_LABEL_LOSS, SpikeTimeLoss, predictions
from bss2emu.host.learning.network import Network
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.trainer import Trainer


def test_loss_value_and_gradient() -> None:
    loss = SpikeTimeLoss(xi=0.2, alpha=0.005, beta=1.0)
    times = np.array([[1.0, 1.3, np.inf], [0.7, 0.9, 1.1], [np.inf, 1.0, 2.0]])
    labels = np.array([0, 2, 0])
    value, grad = loss(times, labels)
    expected0 = -np.log(np.exp(-5.0) / (np.exp(-5.0) + np.exp(-6.5))) + 0.005 * np.e
    assert value == pytest.approx((expected0 + _ce(times[1], 2) + SILENT_LABEL_LOSS) / 3)
    assert np.all(grad[2] == 0) and grad[0, 2] == 0
    h = 1e-6
    for b, k in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]:
        up, down = times.copy(), times.copy()
        up[b, k] += h
        down[b, k] -= h
        fd = (loss(up, labels)[0] - loss(down, labels)[0]) / (2 * h)
        assert grad[b, k] == pytest.approx(fd, rel=1e-6)


def _ce(t: np.ndarray, label: int) -> float:
    z = np.exp(-t / 0.2)
    return float(-np.log(z[label] / z.sum()) + 0.005 * np.exp(t[label]))


def test_predictions_count_silent_and_nan_as_wrong() -> None:
    out = np.array([[1.0, 0.5], [np.inf, np.inf], [np.nan, np.inf], [2.0, np.nan]])
    np.testing.assert_array_equal(predictions(out), [1, -1, -1, -1])


def test_adam_matches_reference_update() -> None:
    p = np.array([1.0, -2.0])
    adam = Adam([p.shape])
    g1, g2 = np.array([0.5, -1.0]), np.array([0.1, 0.3])
    adam.step([p], [g1], 0.01)
    np.testing.assert_allclose(p, [1.0 - 0.01, -2.0 + 0.01], rtol=1e-6)  # first step = lr*sign
    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    p1 = np.array([1.0, -2.0]) - 0.01 * g1 / (np.abs(g1) + 1e-8)
    expected = p1 - 0.01 * (m / 0.19) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)
    adam.step([p], [g2], 0.01)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert step_learning_rate(0.005, 39, 20, 0.95) == pytest.approx(0.005 * 0.95)
    assert step_learning_rate(0.005, 40, 20, 0.95) == pytest.approx(0.005 * 0.95**2)


def test_weight_bumping_is_targeted_and_doubles() -> None:
    bumper = WeightBumper([0.3, 0.0], 0.001)
    weights = [np.zeros((3, 4)), np.zeros((5, 2))]
    hidden = np.ones((2, 4))
    hidden[:, 1] = np.inf  # 25 % silent: allowed in the hidden layer
    labels = np.array([[1.0, np.inf], [1.0, 1.0]])
    times = [np.zeros((2, 2)), hidden, labels]
    assert bumper.offending_layer(times) == 1
    bumper.bump(weights, times, 1)
    bumper.bump(weights, times, 1)
    np.testing.assert_allclose(weights[1][:, 1], 0.003)
    assert np.all(weights[1][:, 0] == 0) and np.all(weights[0] == 0)
    hidden[:, 2] = np.inf  # now 50 % silent: the hidden layer is bumped first, from the start
    assert bumper.offending_layer(times) == 0
    bumper.bump(weights, times, 0)
    np.testing.assert_allclose(weights[0][:, [1, 2]], 0.001)
    bumper.reset()
    assert bumper.offending_layer([times[0], np.ones((2, 4)), np.ones((2, 2))]) is None


def small_data(n_train: int = 300) -> Dataset:
    full = load_dataset("yinyang")
    return replace(full, train=Split(full.train.times[:n_train], full.train.labels[:n_train]),
                   validation=Split(full.validation.times[:100], full.validation.labels[:100]))


def small_config(**changes) -> TrainConfig:
    config = TrainConfig(hidden=[30], batch_size=50, eval_batch_size=100, epochs=4,
                         training_noise=0.05, seed=3)
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_resume_is_bit_identical(tmp_path: Path) -> None:
    data = small_data()
    straight = Trainer(small_config(), data, SoftwareBackend())
    straight.train(4)
    first = Trainer(small_config(), data, SoftwareBackend())
    first.train(2)
    save_checkpoint(tmp_path / "c.npz", first.state())
    resumed = Trainer(small_config(), data, SoftwareBackend(), load_checkpoint(tmp_path / "c.npz"))
    resumed.train(4)
    for a, b in zip(straight.network.weights, resumed.network.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    drop = lambda h: {k: v for k, v in h.items() if k != "seconds"}  # noqa: E731
    assert [drop(h) for h in straight.history] == [drop(h) for h in resumed.history]
    assert sum(h["bumped_batches"] for h in straight.history) < 4 * 6  # it did train
    assert not np.array_equal(straight.network.weights[0], first.network.weights[0])


def test_seeds_are_reproducible_and_distinct() -> None:
    data = small_data(100)
    runs = [Trainer(small_config(seed=s), data, SoftwareBackend()) for s in (1, 1, 2)]
    for run in runs:
        run.train(1)
    np.testing.assert_array_equal(runs[0].network.weights[1], runs[1].network.weights[1])
    assert not np.array_equal(runs[0].network.weights[1], runs[2].network.weights[1])


def test_training_improves_yinyang() -> None:
    data = small_data(1500)
    trainer = Trainer(small_config(hidden=[40], epochs=12), data, SoftwareBackend())
    _, before, _ = trainer.test()
    trainer.train(12)
    _, after, _ = trainer.test()
    assert after > 0.7 and after > before + 0.2


def test_checkpoint_errors(tmp_path: Path) -> None:
    trainer = Trainer(small_config(), small_data(100), SoftwareBackend())
    path = tmp_path / "c.npz"
    save_checkpoint(path, trainer.state())
    with np.load(path) as data:
        arrays = dict(data)
    arrays["format_version"] = np.array(FORMAT_VERSION + 1)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(LearningInputError, match="format version 2"):
        load_checkpoint(tmp_path / "future.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(LearningInputError, match="not a bss2emu checkpoint"):
        load_checkpoint(tmp_path / "junk.npz")
    with pytest.raises(LearningInputError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.npz")


def test_network_rejects_bad_inputs() -> None:
    net = Network.initialise([4, 5, 3], [[0.9], [0.9]], [(1.0, 0.5), (1.0, 0.5)],
                             NeuronParams(), np.random.default_rng(0))
    with pytest.raises(LearningInputError, match=r"shape \(batch, 4\)"):
        net.forward(np.zeros((2, 5)))
    with pytest.raises(LearningInputError, match="NaN"):
        net.forward(np.array([[0.1, np.nan, 0.2, 0.3]]))
    with pytest.raises(LearningInputError, match="does not fit"):
        state = Trainer(small_config(), small_data(100), SoftwareBackend()).state()
        Trainer(small_config(), load_dataset("digits"), SoftwareBackend(), state)


def test_backward_neuron_parameters_reach_the_network() -> None:
    hw = {"leak": 0.7, "threshold": 1.08, "g_leak": 4.0, "tau_syn": 1.0}
    trainer = Trainer(small_config(backward_neuron=hw), small_data(100), SoftwareBackend())
    assert trainer.network.backward_params == NeuronParams(tau_ratio=1, **hw)
    assert trainer.network.params == NeuronParams.software_default(1)
    with pytest.raises(LearningInputError, match="backward_neuron"):
        Trainer(small_config(backward_neuron={"leak": 2.0}), small_data(100), SoftwareBackend())
