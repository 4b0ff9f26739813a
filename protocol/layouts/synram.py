"""Synapse array views (weight, label, calibration and combined quads), the per-column switch
quads, and the array's common configuration words. A quad word holds entry e in byte 3 - e."""
from __future__ import annotations

from ..container import container

ENTRIES = 4


def _quad(*lane: tuple[str | None, int]) -> list[tuple[str | None, int]]:
    """Fields of one byte lane (from bit 0), repeated for entries 3, 2, 1, 0 upwards."""
    out: list[tuple[str | None, int]] = []
    for e in reversed(range(ENTRIES)):
        used = 0
        for name, width in lane:
            out.append((None if name is None else f"{name}_{e}", width))
            used += width
        if used < 8:
            out.append((None, 8 - used))
    return out


SYNAPSE_WEIGHT_QUAD = container("synapse_weight_quad", _quad(("weight", 6)))
"""6-bit weights as stored (bit-permuted, see protocol.synapse)."""
SYNAPSE_LABEL_QUAD = container("synapse_label_quad", _quad(("label", 6)))
SYNAPSE_TIME_CALIB_QUAD = container("synapse_time_calib_quad", _quad(("time_calib", 2)))
SYNAPSE_AMP_CALIB_QUAD = container("synapse_amp_calib_quad", _quad(("amp_calib", 2)))
SYNAPSE_QUAD = container(
    "synapse_quad", _quad(("weight", 6), ("time_calib", 2)), _quad(("label", 6), ("amp_calib", 2)))
"""The combined view lola writes: word 0 weight + time_calib, word 1 label + amp_calib."""

COLUMN_CORRELATION_QUAD = container(
    "column_correlation_quad",
    _quad((None, 6), ("enable_internal_causal", 1), ("enable_internal_acausal", 1)),
    _quad((None, 6), ("enable_debug_causal", 1), ("enable_debug_acausal", 1)),
    _quad((None, 5), ("enable_cadc_neuron_readout_causal", 1)),
    _quad((None, 5), ("enable_cadc_neuron_readout_acausal", 1)),
)
"""Per quad column: internal = correlation sensors to the CADC; cadc_neuron_readout = the
neuron's membrane to the CADC channel."""

COLUMN_CURRENT_QUAD = container(
    "column_current_quad",
    _quad(("enable_synaptic_current_excitatory", 1), ("enable_synaptic_current_inhibitory", 1)),
    _quad(("enable_debug_excitatory", 1), ("enable_debug_inhibitory", 1)),
)
"""Per quad column: the column's summed synaptic currents reach its neuron only when enabled
(0 after reset: disconnected)."""

COMMON_SYNRAM_CONFIG = container(
    "common_synram_config",
    [("pc_conf_west", 4), ("pc_conf_east", 4)],
    [("w_conf_west", 8), ("w_conf_east", 8)],
    [("wait_ctr_clear", 3)],
    defaults={"pc_conf_west": 8, "pc_conf_east": 8, "w_conf_west": 3, "w_conf_east": 3,
              "wait_ctr_clear": 4},
)

SYNAPSE_BIAS_SELECTION = container(
    "synapse_bias_selection",
    [(f"enable_internal_{kind}_{q}", 1) for q in (1, 0, 3, 2)
     for kind in ("output", "store", "ramp", "dac")],
    defaults={f"enable_internal_{kind}_{q}": 1 for q in range(4)
              for kind in ("output", "store", "ramp", "dac")},
)
"""Per CapMem block q: use the block's own synapse biases (all on: 0xFFFF)."""
