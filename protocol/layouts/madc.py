"""Membrane ADC and readout chain registers at 0x000C_0000: control strobes, the 10-word
config, current DAC, readout source selection, pad multiplexers, reference generator."""
from __future__ import annotations

from ..container import container

MADC_CONTROL = container(
    "madc_control",
    [("wake_up", 1), ("start_recording", 1), ("stop_recording", 1),
     ("enable_power_down_after_sampling", 1), ("enable_continuous_sampling", 1),
     ("enable_pre_amplifier", 1), ("enable_iconv_amplifier", 1)])
"""Write-only. bss2emu: start_recording records until stop_recording (or number_of_samples)."""

MADC_CONFIG = container(
    "madc_config",
    [(None, 3), ("active_mux_initially_selected_input", 1), ("active_mux_input_select_length", 4),
     ("sample_duration_adjust", 3), ("enable_sar_reset_on_fall", 1), ("sar_reset_wait", 2),
     ("sar_reset_length", 2)],
    [("powerup_wait_value", 10), (None, 2), ("conversion_cycles_offset", 4)],
    [("calibration_wait_value", 10), (None, 5), ("enable_calibration", 1)],
    [("number_of_samples", 16)],
    [("preamp_sampling_window_start", 5), ("preamp_sampling_window_end", 5)],
    [("iconv_sampling_window_start", 5), ("iconv_sampling_window_end", 5)],
    [("sample_on_positive_edge", 1), ("enable_dummy_data", 1)],
    [("connect_preamp_to_madc", 1), ("connect_pads_to_madc", 1), ("connect_preamp_to_pads", 1),
     ("preamp_gain_capacitor_size", 5)],
    [("enable_madc_clock_scaling", 1), ("madc_clock_scale_value", 12)],
    [("enable_active_mux_amplifiers", 1), ("enable_pseudo_differential_reference_top", 1),
     ("enable_pseudo_differential_reference_bottom", 1),
     ("signal_selection_connect_current_meter", 1), ("signal_selection_connect_active_mux", 1),
     ("signal_selection_connect_debug", 1), ("signal_selection_connect_preamp", 1),
     ("enable_iconv_amplifier", 1), ("connect_iconv_neuron_top", 1),
     ("connect_iconv_neuron_bottom", 1), ("connect_iconv_synapse_inhibitory", 1),
     ("connect_iconv_synapse_excitatory", 1)],
    defaults={"sample_duration_adjust": 5, "sar_reset_wait": 3, "powerup_wait_value": 96,
              "conversion_cycles_offset": 12, "preamp_sampling_window_start": 3,
              "preamp_sampling_window_end": 8, "iconv_sampling_window_start": 9,
              "iconv_sampling_window_end": 14, "sample_on_positive_edge": 1,
              "connect_preamp_to_madc": 1, "preamp_gain_capacitor_size": 31,
              "enable_active_mux_amplifiers": 1, "signal_selection_connect_active_mux": 1,
              "signal_selection_connect_preamp": 1},
)
"""Default words 0x3500, 0xC060, 0, 0, 0x0103, 0x01C9, 0x1, 0xF9, 0, 0x51. Sample interval:
(sample_duration_adjust + 12) MADC clocks of 2 ns."""

READOUT_SOURCES = ("debug_plus", "debug_minus", "idac_i_out", "synin_debug_inh",
                   "synin_debug_exc", "cadc_test_causal", "cadc_test_acausal",
                   "syndrv_debug_top", "syndrv_debug_bottom", "neuron_top_odd",
                   "neuron_top_even", "neuron_bottom_odd", "neuron_bottom_even")
"""Signals a readout multiplexer can select, bit 0 upwards."""

READOUT_SOURCE_SELECTION = container(
    "readout_source_selection",
    [(f"mux_0_{s}", 1) for s in READOUT_SOURCES],
    [*[(f"mux_1_{s}", 1) for s in READOUT_SOURCES], ("enable_buffer_to_pad_1", 1),
     ("enable_buffer_to_pad_0", 1)],
)
"""Word 0 selects the inputs of source multiplexer 0 (feeding the MADC), word 1 of
multiplexer 1; a neuron reaches a line through its `enable_readout`."""

RAW_WORD = container("raw_word", [("value", 32)])
"""A word whose layout the facts sheet does not give: stored and read back as is."""
