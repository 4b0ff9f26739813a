"""Evaluating a network: its loss, accuracy and label spike times on a split, through any
forward backend (software or chip), and the network a checkpoint holds.

Shared by the training loop (validation and test), `bss2emu evaluate` and the Python API, so
that a checkpoint evaluates the same way everywhere.
"""
from __future__ import annotations

import numpy as np
from bss2emu.host.learning.backend import ForwardBackend
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset, Split
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.loss import SpikeTimeLoss, predictions
from bss2emu.host.learning.network import Network


def evaluate(
    network: Network, backend: ForwardBackend, split: Split, batch_size: int, loss: SpikeTimeLoss
) -> tuple[float, float, np.ndarray]:
    """(mean loss, accuracy, label-layer spike times) of a split, in batches."""
    outputs, losses = [], []
    for start in range(0, len(split), batch_size):
        times = backend.forward(network, split.times[start:start + batch_size])[-1]
        losses.append(loss(times, split.labels[start:start + batch_size])[0] * len(times))
        outputs.append(times)
    out = np.concatenate(outputs)
    accuracy = float(np.mean(predictions(out) == split.labels))
    return float(np.sum(losses) / len(split)), accuracy, out


def trained_network(config: TrainConfig, weights: list[np.ndarray], data: Dataset) -> Network:
    """The network with trained `weights` (e.g. a checkpoint's) under `config`'s neuron models,
    checked to fit `data`'s inputs and classes."""
    sizes = config.layer_sizes(data.n_inputs, data.n_classes)
    network = Network(weights, config.bias_times, config.neuron_params(),
                      config.backward_params())
    if network.sizes != sizes:
        raise LearningInputError(
            f"checkpoint network {network.sizes} does not fit the data ({sizes})"
        )
    return network
