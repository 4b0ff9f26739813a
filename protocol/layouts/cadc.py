"""Column ADC: config, per-channel offsets, sample quads and the correlation sensors' common
config."""
from __future__ import annotations

from ..container import container

CADC_CONFIG = container(
    "cadc_config", [("enable", 1), (None, 3), ("reset_wait", 8), ("dead_time", 8)],
    defaults={"reset_wait": 100, "dead_time": 20})
"""Default word 0x0001_4640 (enable 0)."""

CADC_CHANNEL_CONFIG = container("cadc_channel_config", [("offset", 8)], defaults={"offset": 128})
"""Per channel and causal/acausal type; the field is the stored code, offset + 128 (haldls'
offset -128..127), 128 after reset."""

CADC_SAMPLE_QUAD = container("cadc_sample_quad",
                             [(f"sample_{e}", 8) for e in reversed(range(4))])
"""Read-only: four 8-bit samples, entry e in byte 3 - e."""

COMMON_CORRELATION_CONFIG = container(
    "common_correlation_config",
    [("sense_delay", 12)], [("reset_duration", 12)], [("reset_fall_time", 12)],
    [("reset_mode", 1), ("select_voltage_right", 1), ("select_voltage_left", 1)],
    defaults={"sense_delay": 1, "reset_duration": 200, "reset_fall_time": 5})
