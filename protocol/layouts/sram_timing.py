"""Timing words of the chip's configuration SRAMs (two per memory): stored and read back, no
effect in the emulator (its memories have no timing)."""
from __future__ import annotations

from ..container import container

SRAM_TIMING = container(
    "sram_timing", [("read_delay", 8)], [("address_setup_time", 4), ("write_width", 4)],
    defaults={"read_delay": 255, "address_setup_time": 15, "write_width": 15})
"""Neuron config, neuron backend, CapMem and CADC offset memories: all at maximum after reset."""

SYNAPSE_DRIVER_SRAM_TIMING = container(
    "synapse_driver_sram_timing", [("read_delay", 8)],
    [("address_setup_time", 4), ("write_width", 4)],
    defaults={"read_delay": 192, "address_setup_time": 15, "write_width": 15})
"""The synapse drivers' memory: same layout, read_delay 192 after reset."""
