"""The training loop: Adam on exact spike-time gradients with weight bumping and LR schedule.

Spike times come from a pluggable forward backend; gradients always come from
`Network.backward` on those times, so the same loop serves software and chip-in-the-loop runs.
A configuration's substrate distortions wrap that backend: for training, validation and test
("loop") or for the test alone ("test").
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from bss2emu.host.learning.adam import Adam, step_learning_rate
from bss2emu.host.learning.backend import ForwardBackend
from bss2emu.host.learning.bumping import WeightBumper
from bss2emu.host.learning.checkpoint import TrainState
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset
from bss2emu.host.learning.distorted_backend import (
    TEST,
    TRAIN,
    VALIDATION,
    DistortedBackend,
    distorted_backends,
)
from bss2emu.host.learning.distortions import Distortions
from bss2emu.host.learning.evaluation import evaluate, trained_network
from bss2emu.host.learning.loss import predictions
from bss2emu.host.learning.network import Network
from tqdm import tqdm


class Trainer:
    """One training run; `state()` snapshots it, `Trainer(..., state=...)` resumes it."""

    def __init__(
        self,
        config: TrainConfig,
        data: Dataset,
        backend: ForwardBackend,
        state: TrainState | None = None,
    ) -> None:
        self.config = config
        self.data = data
        self.backend = backend
        distortions = (None if config.distortions is None
                       else Distortions.from_dict(config.distortions))
        self.train_backend, self.test_backend = distorted_backends(backend, distortions)
        self.loss = config.loss()
        sizes = config.layer_sizes(data.n_inputs, data.n_classes)
        init_seq, train_seq = np.random.SeedSequence(config.seed).spawn(2)
        self.rng = np.random.default_rng(train_seq)
        if state is None:
            init = [(mean, std) for mean, std in config.weight_init]
            init_rng = np.random.default_rng(init_seq)
            self.network = Network.initialise(
                sizes, config.bias_times, init, config.neuron_params(), init_rng
            )
            self.network.backward_params = config.backward_params()
            self.epoch = 0
            self.history: list[dict] = []
        else:
            self.network = trained_network(config, state.weights, data)
            self.epoch = state.epoch
            self.history = list(state.history)
            self.rng.bit_generator.state = state.rng_state
        self.adam = Adam([w.shape for w in self.network.weights])
        self.bumper = WeightBumper(config.max_missing, config.bump_value)
        if isinstance(self.train_backend, DistortedBackend):
            self.bumper.dead = self.train_backend.dead_masks(self.network)
        if state is not None:
            self.adam.m = [np.array(m) for m in state.adam_m]
            self.adam.v = [np.array(v) for v in state.adam_v]
            self.adam.steps = state.adam_steps
            self.bumper.last_layer = state.bump_layer
            self.bumper.value = state.bump_value

    def state(self) -> TrainState:
        """Snapshot for a checkpoint (copies of all mutable arrays)."""
        return TrainState(
            config=self.config,
            epoch=self.epoch,
            weights=[w.copy() for w in self.network.weights],
            adam_m=[m.copy() for m in self.adam.m],
            adam_v=[v.copy() for v in self.adam.v],
            adam_steps=self.adam.steps,
            bump_layer=self.bumper.last_layer,
            bump_value=self.bumper.value,
            rng_state=self.rng.bit_generator.state,
            history=list(self.history),
        )

    def noisy(self, times: np.ndarray) -> np.ndarray:
        """Input times with Gaussian training noise, negative times mirrored; silent stay silent."""
        if self.config.training_noise <= 0:
            return times
        return np.abs(times + self.rng.normal(0.0, self.config.training_noise, times.shape))

    def _reseed(self, backend: ForwardBackend, phase: int) -> None:
        """Restart a distorted backend's noise for `phase` of the current epoch."""
        if isinstance(backend, DistortedBackend):
            backend.reseed(phase, self.epoch)

    def train_step(
        self, inputs: np.ndarray, labels: np.ndarray, lr: float
    ) -> tuple[float, int, bool]:
        """One batch: (loss, correct predictions, whether weights were bumped instead)."""
        times = self.train_backend.forward(self.network, inputs)
        loss, out_error = self.loss(times[-1], labels)
        correct = int(np.sum(predictions(times[-1]) == labels))
        layer = self.bumper.offending_layer(times)
        if layer is not None:
            self.bumper.bump(self.network.weights, times, layer)
            return loss, correct, True
        self.bumper.reset()
        grads = self.network.backward(times, out_error, self.config.max_dw_norm)
        self.adam.step(self.network.weights, grads.weights, lr)
        return loss, correct, False

    def run_epoch(self, progress: bool = False) -> dict:
        """Train one epoch, then validate; returns (and records) the epoch's metrics."""
        cfg = self.config
        start = time.perf_counter()
        lr = step_learning_rate(cfg.learning_rate, self.epoch, cfg.lr_step, cfg.lr_gamma)
        train = self.data.train
        order = self.rng.permutation(len(train))
        batches = [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        losses, correct, bumps = 0.0, 0, 0
        self._reseed(self.train_backend, TRAIN)
        bar = tqdm(batches, desc=f"epoch {self.epoch + 1}/{cfg.epochs}", leave=False,
                   disable=not progress, unit="batch")
        for idx in bar:
            loss, ok, bumped = self.train_step(self.noisy(train.times[idx]), train.labels[idx], lr)
            losses += loss * len(idx)
            correct += ok
            bumps += bumped
        self._reseed(self.train_backend, VALIDATION)
        val_loss, val_acc, _ = evaluate(
            self.network, self.train_backend, self.data.validation, cfg.eval_batch_size, self.loss
        )
        self.epoch += 1
        metrics = {
            "epoch": self.epoch,
            "learning_rate": lr,
            "train_loss": losses / len(train),
            "train_accuracy": correct / len(train),
            "validation_loss": val_loss,
            "validation_accuracy": val_acc,
            "bumped_batches": bumps,
            "seconds": time.perf_counter() - start,
        }
        self.history.append(metrics)
        return metrics

    def train(
        self, epochs: int, progress: bool = False, on_epoch: Callable[[Trainer], None] | None = None
    ) -> None:
        """Run epochs until `epochs` have been completed in total, calling `on_epoch` after each."""
        while self.epoch < epochs:
            self.run_epoch(progress)
            if on_epoch is not None:
                on_epoch(self)

    def test(self) -> tuple[float, float, np.ndarray]:
        """(loss, accuracy, label times) on the test split."""
        self._reseed(self.test_backend, TEST)
        return evaluate(
            self.network, self.test_backend, self.data.test, self.config.eval_batch_size, self.loss
        )
