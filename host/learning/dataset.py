"""Spike-time data sets for training: validated splits and the registry of named data sets."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.errors import LearningInputError


@dataclass(frozen=True)
class Split:
    """Input spike times (n, n_inputs), +inf for silent inputs, and integer labels (n,)."""

    times: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if self.times.ndim != 2 or self.labels.ndim != 1 or len(self.times) != len(self.labels):
            raise LearningInputError(
                f"need spike times (n, inputs) and labels (n,), got {self.times.shape} "
                f"and {self.labels.shape}"
            )
        if np.isnan(self.times).any() or np.isneginf(self.times).any():
            raise LearningInputError("spike times contain NaN or -inf")
        if len(self.labels) and self.labels.min() < 0:
            raise LearningInputError("labels must be non-negative class indices")

    def __len__(self) -> int:
        return len(self.labels)

    def head(self, n: int) -> Split:
        """The first `n` samples (all of them if there are fewer)."""
        return Split(self.times[:n], self.labels[:n])


@dataclass(frozen=True)
class Dataset:
    """Train, validation and test splits of one classification task."""

    name: str
    train: Split
    validation: Split
    test: Split
    n_classes: int

    @property
    def n_inputs(self) -> int:
        """Input channels per sample."""
        return self.train.times.shape[1]

    def head(self, n: int) -> Dataset:
        """The first `n` samples of every split: a quick trial run on a small part of the data."""
        if n < 1:
            raise LearningInputError(f"need at least one sample per split, got {n}")
        return Dataset(self.name, self.train.head(n), self.validation.head(n),
                       self.test.head(n), self.n_classes)


DATASETS = ("yinyang", "digits", "mnist")


def replicate_inputs(data: Dataset, replicas: int) -> Dataset:
    """Every input channel repeated `replicas` times (adjacent copies), as the paper fed the
    chip each Yin-Yang coordinate through five synapse rows."""
    if replicas < 1:
        raise LearningInputError(f"input replicas must be at least 1, got {replicas}")
    if replicas == 1:
        return data

    def rep(split: Split) -> Split:
        return Split(np.repeat(split.times, replicas, axis=1), split.labels)

    return Dataset(data.name, rep(data.train), rep(data.validation), rep(data.test),
                   data.n_classes)


def load_dataset(name: str, mnist_dir: str | None = None, seed: int = 0) -> Dataset:
    """Build a named data set; `seed` only affects data sets without a published split."""
    if name == "yinyang":
        from bss2emu.host.learning.yinyang_data import yinyang_dataset

        return yinyang_dataset()
    if name == "digits":
        from bss2emu.host.learning.digits import digits_dataset

        return digits_dataset(seed)
    if name == "mnist":
        from bss2emu.host.learning.mnist import mnist_dataset

        if mnist_dir is None:
            raise LearningInputError("the mnist data set needs --mnist-dir with the IDX files")
        return mnist_dataset(mnist_dir)
    raise LearningInputError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")


def load_training_data(config: TrainConfig) -> Dataset:
    """The configured data set, with inputs replicated as the configuration says."""
    data = load_dataset(config.dataset, config.mnist_dir, config.split_seed)
    return replicate_inputs(data, config.input_replicas)
