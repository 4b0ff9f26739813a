"""Chip-in-the-loop forward pass: the network runs on a (possibly emulated) chip, the trainer
differentiates the measured spike times (paper-facts §7). Weights are clamped to the chip's
range (+-63 / scale), written as round(scale w), and only changed synapses are rewritten."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.host.learning.network import Network

from .mapping import (
    MAX_WEIGHT,
    MappingError,
    MappingReport,
    Placement,
    configuration_writes,
    quantise,
    synapse_writes,
    weight_quad_words,
)
from .neurons import WEIGHT_SCALE, NeuronSettings
from .runner import BatchRunner, Device


@dataclass(frozen=True)
class _WeightChange:
    """Synapse words to write (addresses, words) and the weight quads' words after them."""

    addresses: np.ndarray
    words: np.ndarray
    quads: np.ndarray


class ChipBackend:
    """ForwardBackend that measures [inputs, hidden, labels] spike times on a device."""

    name = "chip"

    def __init__(self, device: Device, settings: NeuronSettings | None = None,
                 scale: float = WEIGHT_SCALE, window_us: float = 180.0) -> None:
        self.device = device
        self.settings = settings
        self.scale = scale
        self.window_us = window_us
        self.placement: Placement | None = None
        # the words of the weight quads on the chip (None: nothing written yet)
        self._quads: np.ndarray | None = None
        self._runner: BatchRunner | None = None  # of the placement and window in use
        self.report = MappingReport()
        self.synapse_words_written = 0

    @property
    def weight_limit(self) -> float:
        """Largest |weight| (model units) the chip represents: weights beyond are clamped."""
        return MAX_WEIGHT / self.scale

    def _check(self, network: Network) -> None:
        if len(network.weights) != 2:
            raise MappingError("the chip mapping supports networks with exactly one hidden "
                               f"layer, not {len(network.weights) - 1}")
        if network.bias_times[1].size:
            raise MappingError("this network has bias spikes in its label layer (a software-mode "
                               "network); the chip mapping supports them only in the first "
                               "layer, as in the paper: train it for the chip with --mode chip, "
                               "or in software with --chip-network")

    def forward(self, network: Network, inputs: np.ndarray) -> list[np.ndarray]:
        """Spike times [inputs, hidden, labels] measured on the chip (model units); synapse
        words that the weights changed are written by the batch's program before its
        playback."""
        inputs = network.check_inputs(inputs)
        change = self._weight_change(network)
        writes = None if change is None else (change.addresses, change.words)
        hidden, labels = self._batch_runner().run(network.layer_input(inputs, 0), writes)
        if change is not None:
            self._written(change)
        return [inputs, hidden, labels]

    def _weight_change(self, network: Network) -> _WeightChange | None:
        """Clamp the network's weights to the chip's range; the synapse words to write for
        them (None: nothing changed). The first call writes the configuration and every
        synapse row of the placement itself."""
        self._check(network)
        limit = self.weight_limit
        for w in network.weights:  # (what np.clip does, without its wrapper)
            np.maximum(w, -limit, out=w)
            np.minimum(w, limit, out=w)
        if self.placement is None:
            n_in, n_hidden = network.weights[0].shape
            self.placement = Placement(n_in, n_hidden, network.weights[1].shape[1])
            self.device.write(*configuration_writes(self.placement, self.settings))
        hw_in, hw_out, self.report = quantise(self.placement, *network.weights, self.scale)
        addresses, quads = weight_quad_words(self.placement, hw_in, hw_out)
        if self._quads is None:
            rows = synapse_writes(self.placement, quads)
            self.device.write(*rows)
            self.synapse_words_written += rows[1].size
            self._quads = quads
            return None
        # later only the words of weight quads can change
        changed = np.flatnonzero(quads != self._quads)
        if not changed.size:
            return None
        return _WeightChange(addresses[changed], quads[changed], quads)

    def _written(self, change: _WeightChange) -> None:
        """Note that the chip holds the words of `change`."""
        self.synapse_words_written += change.words.size
        self._quads = change.quads

    def _batch_runner(self) -> BatchRunner:
        """The runner of the placement and the current window (its label tables built once;
        the placement is fixed by the first batch, the window may be set between batches)."""
        runner = self._runner
        if runner is None or runner.window_us != self.window_us:
            runner = self._runner = BatchRunner(self.device, self.placement,
                                                window_us=self.window_us)
        return runner
