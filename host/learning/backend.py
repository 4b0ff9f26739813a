"""Forward backends: where a training or evaluation step gets its spike times from.

The trainer only calls `forward(network, inputs) -> [inputs, hidden..., output]`; the software
backend evaluates the closed forms, a chip backend can return measured times instead.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
from bss2emu.host.learning.network import Network


class ForwardBackend(Protocol):
    """Source of per-layer spike times for a batch of input spike times."""

    name: str

    def forward(self, network: Network, inputs: np.ndarray) -> list[np.ndarray]:
        """Spike times of every layer, [inputs, hidden_1, ..., output]."""
        ...


class SoftwareBackend:
    """Exact closed-form spike times of the network's own neuron model."""

    name = "software"

    def forward(self, network: Network, inputs: np.ndarray) -> list[np.ndarray]:
        """Spike times of every layer from `Network.forward`."""
        return network.forward(inputs)
