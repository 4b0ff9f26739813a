"""The 16-bit spike label (halco SpikeLabel) and its nested views, declared once: every packing
and unpacking of labels in host and chip goes through these.

bits 15..14 SPL1 address (FPGA channel), 13..0 neuron label (what crossbar nodes match);
inside the neuron label: 10..6 PADI row-select address, 5..0 synapse label; a neuron's own
events carry its event output (column // 32) in 10..8 and its backend `address_out` in 7..0.
"""
from __future__ import annotations

import numpy as np

from .bitfields import Register, register

SPIKE_LABEL = register("spike_label", ("spl1_address", 2), ("neuron_label", 14))
PADI_LABEL = register("padi_label", (None, 5), ("row_select", 5), ("synapse_label", 6))
NEURON_EVENT_LABEL = register("neuron_event_label", (None, 5), ("event_output", 3),
                              ("address_out", 8))

NEURON_LABEL_MASK = (1 << SPIKE_LABEL.fields["neuron_label"][1]) - 1
SYNAPSE_LABEL_MSB = 1 << (PADI_LABEL.fields["synapse_label"][1] - 1)
"""The synapse label bit a driver forwards even with `enable_address_out` off."""


def pack(layout: Register, **fields: np.ndarray | int) -> np.ndarray | int:
    """Vectorised packing (range-checked): e.g. pack(PADI_LABEL, row_select=r, synapse_label=s)."""
    scalar = all(np.ndim(v) == 0 for v in fields.values())
    out = np.zeros(np.broadcast(*[np.asarray(v) for v in fields.values()]).shape, np.int64)
    for name, value in fields.items():
        shift, width = layout.fields[name]
        value = np.asarray(value, np.int64)
        if value.size and (value.min() < 0 or value.max() >= 1 << width):
            raise ValueError(f"{layout.name}.{name} must lie in 0..{(1 << width) - 1}")
        out |= value << shift
    return int(out) if scalar else out


def unpack(layout: Register, label: np.ndarray | int, field: str) -> np.ndarray | int:
    """One field of labels (vectorised)."""
    shift, width = layout.fields[field]
    out = (np.asarray(label, np.int64) >> shift) & ((1 << width) - 1)
    return int(out) if np.ndim(label) == 0 else out
