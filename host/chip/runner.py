"""Batched runs of a mapped network: every sample of a batch in its own time window of one
playback (as the paper did: 180 us per sample in training, 48 us for fast inference), and the
recorded spikes cut back into per-sample first-spike times in model units (+inf if silent)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from bss2emu.protocol.clocks import FPGA_TICKS_PER_US

from .mapping import MappingError, Placement
from .neurons import TAU_US


class Device(Protocol):
    """What a runner needs from a chip: configuration writes and timed spike playback."""

    def write(self, addresses: np.ndarray, words: np.ndarray) -> None:
        """Omnibus writes, in order."""

    def play(self, times: np.ndarray, labels: np.ndarray, duration: int,
             writes: tuple[np.ndarray, np.ndarray] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Inject spikes (FPGA ticks, sorted, 16-bit labels) during `duration` FPGA ticks,
        after the omnibus `writes` (addresses, words; in order) if given; returns the recorded
        spikes as (FPGA ticks, labels), times relative to the start of the playback."""


@dataclass
class BatchRunner:
    """Turns batches of input spike times into measured hidden and label spike times."""

    device: Device
    placement: Placement
    window_us: float = 180.0
    offset_us: float = 100.0

    def __post_init__(self) -> None:
        p = self.placement
        # label -> (layer, index); layer 0 = not a neuron of the network
        self._layer = np.zeros(1 << 16, np.int8)
        self._index = np.zeros(1 << 16, np.int64)
        for layer, labels in ((1, p.hidden_labels), (2, p.output_labels)):
            self._layer[labels] = layer
            self._index[labels] = np.arange(labels.size)
        self._input_labels = p.input_labels

    def inject(self, input_times: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """FPGA ticks and labels of a batch's input spikes, and the playback duration."""
        times = np.asarray(input_times, np.float64)
        batch, n = times.shape
        if n != self.placement.n_inputs:
            raise ValueError(f"expected {self.placement.n_inputs} input channels, got {n}")
        window = self.window_us * FPGA_TICKS_PER_US
        start = self.offset_us * FPGA_TICKS_PER_US + np.arange(batch)[:, None] * window
        finite = np.isfinite(times)
        late = finite & (times * TAU_US >= self.window_us)
        if late.any():
            latest = float(np.max(times[finite])) * TAU_US
            raise MappingError(f"input spikes come up to {latest:.1f} us after a sample's start: "
                               f"a window of {self.window_us:g} us per sample is too short")
        ticks = np.round(start + times * TAU_US * FPGA_TICKS_PER_US)
        labels = np.broadcast_to(self._input_labels, times.shape)
        ticks, labels = ticks[finite].astype(np.int64), labels[finite]
        order = np.argsort(ticks, kind="stable")
        duration = int(round(self.offset_us * FPGA_TICKS_PER_US + batch * window))
        return ticks[order], labels[order], duration

    def split(self, ticks: np.ndarray, labels: np.ndarray, batch: int
              ) -> tuple[np.ndarray, np.ndarray]:
        """First spike per neuron and sample, in model units from the window start."""
        p = self.placement
        window = self.window_us * FPGA_TICKS_PER_US
        rel = ticks - self.offset_us * FPGA_TICKS_PER_US
        sample = np.floor(rel / window).astype(np.int64)
        t_model = (rel - sample * window) / (TAU_US * FPGA_TICKS_PER_US)
        labels = np.asarray(labels, np.int64)
        layer = self._layer[labels]
        # both layers' neurons in one flat array: hidden (sample, neuron), then labels
        n_hidden = batch * p.n_hidden
        position = np.where(layer == 1, sample * p.n_hidden,
                            n_hidden + sample * p.n_labels) + self._index[labels]
        sel = (rel >= 0) & (sample < batch) & (layer != 0)
        flat = np.full(n_hidden + batch * p.n_labels, np.inf)
        np.minimum.at(flat, position[sel], t_model[sel])  # the first spike of each neuron
        return (flat[:n_hidden].reshape(batch, p.n_hidden),
                flat[n_hidden:].reshape(batch, p.n_labels))

    def run(self, input_times: np.ndarray, writes: tuple[np.ndarray, np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
        """(hidden times, label times) of a batch, model units, +inf where a neuron was silent;
        `writes` (omnibus addresses, words) are written before the batch plays."""
        ticks, labels, duration = self.inject(input_times)
        out_ticks, out_labels = self.device.play(ticks, labels, duration, writes)
        return self.split(np.asarray(out_ticks), np.asarray(out_labels), len(input_times))
