"""Synapse drivers (3 words each, inverted and bit-reversed fields) and the PADI bus block of a
hemisphere: event trigger register, bus config, STP config."""
from __future__ import annotations

from ..container import INVERTED, REVERSED, container

B = 1

SYNAPSE_DRIVER = container(
    "synapse_driver",
    [("utilization", 4), ("offset", 4), ("enable_hagen_dac", B),
     ("row_address_compare_mask", 5), ("enable_address_out", B), ("enable_receiver", B)],
    [("recovery", 4), ("row_mode_bottom[0:0]", B), ("row_mode_top[0:0]", B),
     ("row_mode_bottom[1:1]", B), ("row_mode_top[1:1]", B), ("hagen_dac_offset", 6)],
    [("select_target_voltages", B), ("enable_readout", B), ("enable_renewing", B),
     ("enable_hagen_modulation", B), ("enable_stp", B), (None, 1),
     ("enable_charge_sharing", B), ("enable_recovery", B)],
    encodings={"enable_address_out": INVERTED, "recovery": REVERSED,
               "hagen_dac_offset": INVERTED, "enable_charge_sharing": INVERTED},
    defaults={"row_address_compare_mask": 0x1F, "enable_address_out": 1},
)
"""Per driver d, words at base + 4d .. + 2. Row modes: bit 0 excitatory, bit 1 inhibitory
(0 disabled, 3 both); the top row is synapse row 2d + 1, the bottom row 2d. Default words
0x3E00, 0x3F00, 0x40."""

ROW_MODE_EXCITATORY = 1
ROW_MODE_INHIBITORY = 2

PADI_EVENT = container(
    "padi_event",
    [("fire_bus", 4), (None, 12), ("event_address", 6), ("row_select_address", 5)],
)
"""Write-only trigger: sends one event (6-bit label, 5-bit row select) on the buses in
`fire_bus` whose `enable_spl1` bit is 0."""

COMMON_PADI_BUS_CONFIG = container(
    "common_padi_bus_config",
    [("enable_spl1", 4), ("enable_extended_timing", 4), (None, 8),
     *[(f"dacen_pulse_extension_{b}", 4) for b in range(4)]],
)
"""Bit b of enable_spl1: bus b takes events from the crossbar, else from the trigger register."""

COMMON_STP_CONFIG = container(
    "common_stp_config", [("recovery_clock_speed", 4), ("enable_recovery_clock", B)])
