"""Weight bumping: revive silent neurons instead of taking a gradient step.

If a layer (hidden layers first, then the label layer) has more silent (neuron, sample) pairs
than allowed, the weights into every neuron of that layer that missed a spike in the batch
grow by the bump value, which doubles while the same layer keeps needing bumps. Neurons known
to be dead (a distorted substrate's, `dead`) are left out: no bump can revive them.
"""
from __future__ import annotations

import numpy as np


class WeightBumper:
    """Checks layer times against per-layer silence limits and bumps weights."""

    def __init__(self, max_missing: list[float], value: float) -> None:
        self.max_missing = list(max_missing)
        self.initial_value = value
        self.value = value
        self.last_layer: int | None = None
        # per layer, neurons that can never spike (None: all can)
        self.dead: list[np.ndarray] | None = None

    def _alive(self, layer: int, n: int) -> np.ndarray:
        return np.ones(n, dtype=bool) if self.dead is None else ~self.dead[layer]

    def offending_layer(self, layer_times: list[np.ndarray]) -> int | None:
        """Index (0 = first hidden layer) of the first layer with too many silent neurons."""
        for layer, times in enumerate(layer_times[1:]):
            if self.dead is not None:
                times = times[:, ~self.dead[layer]]
            silent = times.size - np.count_nonzero(np.isfinite(times))
            if times.size and silent / times.size > self.max_missing[layer]:
                return layer
        return None

    def bump(self, weights: list[np.ndarray], layer_times: list[np.ndarray], layer: int) -> None:
        """Raise all weights (bias rows included) into neurons of `layer` that missed a spike."""
        self.value = self.value * 2.0 if self.last_layer == layer else self.initial_value
        self.last_layer = layer
        times = layer_times[layer + 1]
        silent = (~np.isfinite(times)).any(axis=0) & self._alive(layer, times.shape[1])
        weights[layer][:, silent] += self.value

    def reset(self) -> None:
        """A regular gradient step happened: the next bump starts from the initial value."""
        self.last_layer = None
        self.value = self.initial_value
