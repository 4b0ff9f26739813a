"""Background spike sources: 3 words each (enable and period in the first, written last)."""
from __future__ import annotations

from ..container import container

BACKGROUND_SPIKE_SOURCE = container(
    "background_spike_source",
    [("enable", 1), ("enable_random", 1), (None, 14), ("period", 16)],
    [("seed", 32)],
    [("mask", 8), ("rate", 8), ("neuron_label", 14)],
)
"""Word +0 enable/period, +1 seed, +2 mask/rate/label. Enabling loads the seed and the period
counter (so haldls writes +1, +2, then +0)."""
