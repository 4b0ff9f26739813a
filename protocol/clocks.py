"""Clocks of the chip and its FPGA, defined once (bss2-facts §1, §5; haldls MADC config):
every conversion between ticks, cycles and seconds in host and chip derives from these."""
from __future__ import annotations

import numpy as np

from .layouts.madc import MADC_CONFIG
from .ut.constants import FPGA_TICKS_PER_US, TIMESTAMP_DIVIDER

CHIP_CLOCK_HZ = 250e6
"""Chip time base: spike time stamps, neuron backend clocks (divided), PPU cycles."""
CHIP_TICK_S = 1.0 / CHIP_CLOCK_HZ  # 4 ns
FPGA_CLOCK_HZ = FPGA_TICKS_PER_US * 1e6  # 125 MHz: playback timer, systime
CHIP_TICKS_PER_FPGA_TICK = TIMESTAMP_DIVIDER
FPGA_TICK_SHIFT = CHIP_TICKS_PER_FPGA_TICK.bit_length() - 1
"""fpga_ticks as a right shift by this many bits."""
if 1 << FPGA_TICK_SHIFT != CHIP_TICKS_PER_FPGA_TICK:
    raise ImportError(f"fpga_ticks needs a power-of-two divider, not {CHIP_TICKS_PER_FPGA_TICK}")
PPU_CYCLES_PER_US = int(CHIP_CLOCK_HZ / 1e6)
"""The PPU runs on the chip clock: 250 cycles per microsecond."""
MADC_CLOCK_HZ = 500e6
MADC_SAMPLE_CLOCKS = MADC_CONFIG.default_values()["sample_duration_adjust"] + 12
"""MADC clocks per sample at haldls' default config (sample_duration_adjust 5): 17."""
MADC_SAMPLE_INTERVAL_S = MADC_SAMPLE_CLOCKS / MADC_CLOCK_HZ  # 34 ns: 29.4 MSa/s
MADC_SAMPLE_INTERVAL_TICKS = MADC_SAMPLE_INTERVAL_S * CHIP_CLOCK_HZ  # 8.5 chip ticks

__all__ = ["CHIP_CLOCK_HZ", "CHIP_TICK_S", "CHIP_TICKS_PER_FPGA_TICK", "FPGA_CLOCK_HZ",
           "FPGA_TICK_SHIFT", "FPGA_TICKS_PER_US", "MADC_CLOCK_HZ", "MADC_SAMPLE_CLOCKS",
           "MADC_SAMPLE_INTERVAL_S", "MADC_SAMPLE_INTERVAL_TICKS", "PPU_CYCLES_PER_US",
           "fpga_ticks"]


def fpga_ticks(chip_ticks: np.ndarray | int) -> np.ndarray | int:
    """The FPGA tick holding each chip tick (floor division by CHIP_TICKS_PER_FPGA_TICK), as a
    shift: on a million-element array numpy's integer floor division takes ~10x as long."""
    return chip_ticks >> FPGA_TICK_SHIFT
