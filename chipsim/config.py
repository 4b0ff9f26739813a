"""The chip's digital configuration state: every value the omnibus registers hold, as arrays.

The synapse array, CapMem and the per-column switches are kept in the shapes the model uses;
every other container kind keeps one array per logical field, indexed by the entry's number
across the kind (`Block.first + index`, halco's enumeration), starting at haldls' defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.crossbar import DROP_ALL

SYNRAM = (ob.HEMISPHERES, ob.SYNAPSE_ROWS, ob.COLUMNS)
COLUMN_SWITCHES = (ob.HEMISPHERES, ob.COLUMNS)

ARRAY_KINDS = frozenset({
    "synapse_weight_quad", "synapse_label_quad", "synapse_time_calib_quad",
    "synapse_amp_calib_quad", "synapse_quad", "column_correlation_quad", "column_current_quad",
})
"""Views onto the synapse array and column switches: served from the arrays below."""

STATELESS_KINDS = frozenset({
    "neuron_reset", "spike_counter_reset", "block_post_pulse", "correlation_reset",
    "neuron_reset_quad", "padi_event", "madc_control", "spike_counter_read",
    "crossbar_input_drop_counter", "crossbar_output_event_counter", "cadc_sample_quad",
    "ppu_memory", "ppu_control", "ppu_status", "ppu_debug", "ppu_stack_limit",
})
"""Triggers, counters and devices: no configuration state of their own."""


RESET_CHOICES: dict[str, dict[str, int]] = {"crossbar_node": dict(DROP_ALL)}
"""Reset values where bss2emu departs from haldls' software defaults because the chip's
power-on state is not public: crossbar nodes drop everything until configured (haldls'
default-constructed node, word 0, passes everything)."""


class Fields(dict):
    """Logical field arrays of one container kind, by field name (also as attributes)."""

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _field_tables() -> dict[str, Fields]:
    out: dict[str, Fields] = {}
    for kind, blocks in ob.KINDS.items():
        if kind in ARRAY_KINDS or kind in STATELESS_KINDS or kind == "capmem_cell":
            continue
        n = max(b.first + b.count for b in blocks)
        defaults = {**blocks[0].container.default_values(), **RESET_CHOICES.get(kind, {})}
        out[kind] = Fields({name: np.full(n, defaults[name], np.uint32) for name in defaults})
    return out


def _zeros(shape, dtype=np.uint8):
    return field(default_factory=lambda: np.zeros(shape, dtype))


@dataclass
class ChipConfig:
    """Register-level state after reset (haldls' defaults; docs/chip.md lists the choices)."""

    weight: np.ndarray = _zeros(SYNRAM)
    time_calib: np.ndarray = _zeros(SYNRAM)
    label: np.ndarray = _zeros(SYNRAM)
    amp_calib: np.ndarray = _zeros(SYNRAM)
    capmem: np.ndarray = _zeros((ob.CAPMEM_BLOCKS, ob.CAPMEM_COLUMNS, ob.CAPMEM_ROWS), np.uint16)
    # per-column switches (hemisphere, column)
    corr_internal_causal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    corr_internal_acausal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    corr_debug_causal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    corr_debug_acausal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    cadc_neuron_causal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    cadc_neuron_acausal: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    current_exc: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    current_inh: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    current_debug_exc: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    current_debug_inh: np.ndarray = _zeros(COLUMN_SWITCHES, bool)
    fields: dict[str, Fields] = field(default_factory=_field_tables)

    @property
    def neuron(self) -> Fields:
        """NeuronConfig fields per global neuron (hemisphere * 256 + column)."""
        return self.fields["neuron_config"]

    @property
    def backend(self) -> Fields:
        """NeuronBackendConfig fields per backend entry (see ob.NEURON_TO_BACKEND)."""
        return self.fields["neuron_backend"]

    @property
    def driver(self) -> Fields:
        """SynapseDriverConfig fields per driver (hemisphere * 128 + d)."""
        return self.fields["synapse_driver"]

    @property
    def crossbar(self) -> Fields:
        """CrossbarNode fields per node number (ob.CROSSBAR_NODES)."""
        return self.fields["crossbar_node"]

    @property
    def background(self) -> Fields:
        return self.fields["background_spike_source"]

    @property
    def padi(self) -> Fields:
        """CommonPADIBusConfig per hemisphere."""
        return self.fields["common_padi_bus_config"]
