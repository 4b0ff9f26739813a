"""Capacitive memory: 10-bit cells (1023 = stop refreshing the cell) in 4 blocks of 130 columns
x 24 rows, the v3 row assignment, and the 10-word block configuration."""
from __future__ import annotations

from ..container import container

CAPMEM_CELL = container("capmem_cell", [("value", 10)])
CAPMEM_DISABLE_REFRESH = 1023
"""Cell value meaning "do not refresh this cell" (haldls DisableRefresh)."""

NEURON_ROWS: tuple[str, ...] = (
    "v_leak", "v_reset", "v_threshold", "e_synin_exc_rev", "e_synin_inh_rev", "v_adapt_leak",
    "v_exp", "v_adapt_ref", "i_bias_leak", "i_bias_reset",
    "i_bias_synin_exc_tau", "i_bias_synin_exc_coba", "i_bias_synin_exc_shift",
    "i_bias_synin_exc_gm",
    "i_bias_synin_inh_tau", "i_bias_synin_inh_coba", "i_bias_synin_inh_shift",
    "i_bias_synin_inh_gm",
    "i_bias_adapt_tau", "i_bias_adapt_a", "i_bias_adapt_b", "i_bias_exp", "i_mem_offset",
    "i_bias_nmda",
)
"""Row -> per-neuron cell (columns 0..127 of a block); per synaptic input: tau, coba, shift, gm."""

SHARED_CELLS: dict[str, tuple[int, int]] = {
    "stp_v_charge_0": (128, 0), "stp_v_charge_1": (128, 1), "stp_v_recover_0": (128, 2),
    "stp_v_recover_1": (128, 3), "cadc_v_ramp_offset": (128, 4),
    "cadc_v_bias_ramp_buf": (128, 5), "neuron_v_bias_casc_n": (128, 7),
    "syn_i_bias_dac": (128, 8), "syn_i_bias_ramp": (128, 9), "syn_i_bias_store": (128, 10),
    "syn_i_bias_corout": (128, 11), "stp_i_bias_comparator": (128, 12),
    "stp_i_ramp": (128, 13), "stp_i_calib": (128, 14), "cadc_i_ramp_slope": (128, 15),
    "cadc_i_bias_comp": (128, 16), "cadc_i_bias_vreset_buf": (128, 17),
    "neuron_i_bias_readout_amp": (128, 18), "neuron_i_bias_leak_source_follower": (128, 19),
    "neuron_i_bias_spike_comparator": (128, 20), "neuron_i_bias_synin_drop": (129, 23),
}
"""Cells at the same (column, row) in each of the four blocks."""

CAPMEM_BLOCK_CONFIG = container(
    "capmem_block_config",
    [("debug_readout_row_mask", 24)],
    [("debug_readout_column", 32)],
    [("debug_v_ref_select", 2)],
    [("v_global_bias", 4), ("debug_level_shifter_bias", 4), ("debug_source_follower_bias", 4),
     ("debug_out_amp_bias", 4)],
    [("current_cell_res", 6)],
    [("debug_i_out_select", 2)],
    [("sub_counter", 16), ("enable_capmem", 1), ("enable_boost", 1), ("enable_autoboost", 1),
     (None, 1), ("prescale_ramp", 4), ("prescale_pause", 4), ("boost_factor", 4)],
    [("pulse_b", 16), ("pulse_a", 16)],
    [("boost_b", 16), ("boost_a", 16)],
    [("pause_counter", 32)],
    defaults={"v_global_bias": 7, "debug_level_shifter_bias": 3,
              "debug_source_follower_bias": 3, "debug_out_amp_bias": 7, "current_cell_res": 8,
              "sub_counter": 16, "enable_capmem": 1, "prescale_ramp": 3, "prescale_pause": 3,
              "pulse_b": 7, "pulse_a": 4, "pause_counter": 8096},
)
"""Per block; `enable_capmem` 0 turns the block's cells off (the emulator drives them as 0).
Debug row: one-hot, bit 23 - row. Default words 0, 0, 0, 0x7337, 0x8, 0, 0x0331_0010,
0x0004_0007, 0, 0x1FA0."""
