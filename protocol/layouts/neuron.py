"""Neuron circuits: analog config (6 words), digital backend (4 words, partly inverted and split
across words), the backend blocks' common config (2 words), reset and spike-counter words."""
from __future__ import annotations

from ..container import INVERTED, container

B = 1  # one-bit field

NEURON_CONFIG = container(
    "neuron_config",
    [("enable_reset_degeneration", B), ("enable_reset_division", B),
     ("enable_reset_multiplication", B), ("enable_leak_degeneration", B),
     ("enable_leak_division", B), ("enable_leak_multiplication", B), ("enable_strong_fire", B)],
    [(None, 1), ("enable_synaptic_input_inhibitory_coba_mode", B),
     ("enable_synaptic_input_excitatory_coba_mode", B), ("enable_unbuffered_access", B),
     ("enable_readout_amplifier", B), ("readout_source", 2), ("enable_readout", B)],
    [("invert_adaptation_b", B), ("invert_adaptation_a", B), ("enable_adaptation", B),
     ("enable_exponential", B), ("enable_synaptic_input_inhibitory_small_capacitance", B),
     ("enable_synaptic_input_excitatory_small_capacitance", B),
     ("enable_synaptic_input_inhibitory_high_resistance", B),
     ("enable_synaptic_input_excitatory_high_resistance", B)],
    [("enable_membrane_offset", B), (None, 1), ("membrane_capacitor_size", 6)],
    [("invert_membrane_offset", B), (None, 1), ("enable_fire", B),
     ("enable_threshold_comparator", B), ("enable_synaptic_input_inhibitory", B),
     ("enable_synaptic_input_excitatory", B), ("enable_bypass_inhibitory", B),
     ("enable_bypass_excitatory", B)],
    [("connect_soma_right", B), ("connect_bottom", B), ("enable_multicomp_conductance", B),
     ("connect_membrane_right", B), ("connect_soma", B),
     ("enable_multiply_multicomp_conductance_bias", B),
     ("enable_divide_multicomp_conductance_bias", B), ("enable_pause", B)],
)
"""Per neuron, words at base + 8n + 2 .. + 7; all fields 0 after reset."""

READOUT_SOURCES = ("membrane", "exc_synin", "inh_synin", "adaptation")
"""`readout_source` code -> signal put on the readout line."""

NEURON_BACKEND = container(
    "neuron_backend",
    [("address_out[7:2]", 6), ("reset_holdoff[1:0]", 2)],
    [("refractory_time[7:4]", 4), ("address_out[1:0]", 2), ("reset_holdoff[3:2]", 2)],
    [("post_overwrite", B), ("select_input_clock", B), ("refractory_time[3:0]", 4),
     ("enable_adaptation_pulse", B), ("enable_bayesian_extension", B)],
    [("enable_neuron_slave", B), ("connect_fire_bottom", B), ("connect_fire_from_right", B),
     ("connect_fire_to_right", B), ("enable_spike_out", B), ("enable_neuron_master", B),
     ("enable_1_bayesian", B), ("enable_0_bayesian", B)],
    encodings={"address_out[7:2]": INVERTED, "address_out[1:0]": INVERTED,
               "refractory_time[7:4]": INVERTED, "refractory_time[3:0]": INVERTED},
    defaults={"reset_holdoff": 15, "enable_bayesian_extension": 1},
)
"""Per neuron, 4 words at base + 4i; default words 0xFF, 0xFF, 0xBC, 0x00."""

COMMON_NEURON_BACKEND = container(
    "common_neuron_backend",
    [("enable_event_registers", B), ("force_reset", B), ("enable_clocks", B), (None, 1),
     ("clock_scale_slow", 4), ("clock_scale_fast", 4), ("sample_positive_edge", 4),
     ("clock_scale_adaptation_pulse", 4), ("clock_scale_post_pulse", 4)],
    [("wait_global_post_pulse", 8), ("wait_spike_counter_reset", 8),
     ("wait_spike_counter_read", 8), ("wait_fire_neuron", 8)],
    defaults={"enable_event_registers": 1, "enable_clocks": 1, "sample_positive_edge": 0xF,
              "wait_global_post_pulse": 1, "wait_spike_counter_reset": 4,
              "wait_spike_counter_read": 112, "wait_fire_neuron": 4},
)
"""Per backend block (west, east); clock f = 250 MHz / 2^(scale+1), input clock 0 slow, 1 fast.
Default words 0x0000_F005, 0x0470_0401."""

TRIGGER = container("trigger", [("value", 32)])
"""A write-only strobe (neuron reset, counter reset, post pulse, correlation reset): the write
triggers, whatever the data (haldls sends 0)."""

SPIKE_COUNTER_READ = container("spike_counter_read", [("count", 8), ("overflow", B)])
"""Read-only: 8-bit count (wraps) and a sticky overflow bit."""
