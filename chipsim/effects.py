"""Which register fields the chip model acts on. Every other field of a container is stored
and read back but has no effect in the emulator; docs/chip.md lists both (generated here)."""
from __future__ import annotations

from bss2emu.protocol import omnibus as ob

_SYNAPSE = ("weight", "label", "time_calib", "amp_calib")

EFFECTS: dict[str, tuple[str, ...]] = {
    "neuron_config": ("membrane_capacitor_size", "enable_fire", "enable_threshold_comparator",
                      "enable_synaptic_input_excitatory", "enable_synaptic_input_inhibitory",
                      "enable_adaptation", "enable_exponential", "enable_membrane_offset",
                      "invert_membrane_offset", "enable_readout"),
    "neuron_backend": ("address_out", "refractory_time", "reset_holdoff", "select_input_clock",
                       "enable_spike_out"),
    "common_neuron_backend": ("clock_scale_slow", "clock_scale_fast"),
    "capmem_cell": ("value",),
    "capmem_block_config": ("enable_capmem",),
    "synapse_driver": ("row_address_compare_mask", "enable_address_out", "enable_receiver",
                       "row_mode_top", "row_mode_bottom"),
    "common_padi_bus_config": ("enable_spl1",),
    "crossbar_node": ("mask", "target", "enable_drop_counter"),
    "crossbar_output_config": ("enable_event_counter",),
    "background_spike_source": ("enable", "enable_random", "period", "seed", "mask", "rate",
                                "neuron_label"),
    "column_current_quad": ("enable_synaptic_current_excitatory",
                            "enable_synaptic_current_inhibitory"),
    "column_correlation_quad": ("enable_internal_causal", "enable_internal_acausal",
                                "enable_cadc_neuron_readout_causal",
                                "enable_cadc_neuron_readout_acausal"),
    "readout_source_selection": tuple(f"mux_{m}_neuron_{h}_{p}" for m in (0, 1)
                                      for h in ("top", "bottom") for p in ("even", "odd")),
    "madc_control": ("start_recording", "stop_recording"),
    **{kind: _SYNAPSE for kind in ("synapse_weight_quad", "synapse_label_quad",
                                   "synapse_time_calib_quad", "synapse_amp_calib_quad",
                                   "synapse_quad")},
}
"""Container kind -> logical fields (per-entry fields without their _e suffix) that act."""

OBSERVATION: frozenset[tuple[str, str]] = frozenset({
    ("neuron_config", "enable_readout"), ("crossbar_node", "enable_drop_counter"),
    ("crossbar_output_config", "enable_event_counter"),
    *(("readout_source_selection", f) for f in EFFECTS["readout_source_selection"]),
})
"""Fields that act only on what is observed (readout, counters), not on the network."""


def changes_network(kind: str, fields: set[str]) -> bool:
    """Whether a change of these fields of a container alters the network (and so re-settles
    the neurons and rebuilds the routing); stored-only and observation fields do not."""
    acts = EFFECTS.get(kind, ())
    return any(_base(f) in acts and (kind, _base(f)) not in OBSERVATION for f in fields)


ACTIONS: dict[str, str] = {
    "neuron_reset": "pulls the neuron to its reset potential",
    "neuron_reset_quad": "resets the quad column's four neurons",
    "spike_counter_reset": "clears count and overflow",
    "spike_counter_read": "8-bit spike count (wraps), sticky overflow",
    "correlation_reset": "clears the quad's causal and acausal correlation accumulators",
    "cadc_sample_quad": "converts the row's four channels (buffered view: last result)",
    "crossbar_input_drop_counter": "events filtered out by the input's drop-counting nodes",
    "crossbar_output_event_counter": "events routed to the output (if counting is enabled)",
    "ppu_memory": "PPU SRAM", "ppu_control": "runs / holds the PPU",
    "ppu_status": "PPU sleeping", "ppu_debug": "bss2emu debug words",
    "ppu_stack_limit": "bss2emu stack guard: stores through r1 below it fault",
    "block_post_pulse": "accepted, no effect (no post-pulse plasticity model)",
    "padi_event": "sends one event (row select, 6-bit label) on each bus of `fire_bus` whose "
                  "`enable_spl1` bit is 0; it reaches the drivers when the next run starts",
}
"""Triggers, counters and devices: what a write or read does."""


def _base(field: str) -> str:
    head, _, tail = field.rpartition("_")
    return head if tail.isdigit() else field


def effects_table() -> str:
    """Per container kind: fields that act, and the stored-only ones."""
    lines = ["| Kind | Acts in the emulator | Stored and read back, no effect |", "|---|---|---|"]
    for kind, blocks in ob.KINDS.items():
        fields = list(dict.fromkeys(_base(f) for f in blocks[0].container.fields))
        if kind in ACTIONS:
            lines.append(f"| {kind} | {ACTIONS[kind]} | — |")
            continue
        acts = [f for f in EFFECTS.get(kind, ()) if f in fields]
        rest = [f for f in fields if f not in acts]
        lines.append(f"| {kind} | {', '.join(acts) or '—'} | {', '.join(rest) or '—'} |")
    return "\n".join(lines)


TABLES = {"register_effects": effects_table}
