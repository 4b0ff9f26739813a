"""Chip geometry, clocks and the event crossbar's populated nodes (HICANN-X v3)."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol.clocks import (  # noqa: F401  (re-exported for the chip model)
    CHIP_CLOCK_HZ,
    CHIP_TICK_S,
    CHIP_TICKS_PER_FPGA_TICK,
    FPGA_CLOCK_HZ,
    MADC_SAMPLE_INTERVAL_TICKS,
    fpga_ticks,
)
from bss2emu.protocol.omnibus import (
    COLUMNS,
    CROSSBAR_INPUTS,
    CROSSBAR_NODES,
    CROSSBAR_OUTPUTS,
    PADI_BUSES,
    SYNAPSE_DRIVERS,
)

ROUTING_LATENCY_TICKS = 8
"""On-chip latency of a neuron spike to the synapses it reaches (model constant, 32 ns)."""
MADC_BITS = 10

# crossbar inputs and outputs
NEURON_EVENT_OUTPUTS = 8  # crossbar inputs 0..7; neuron column c feeds output c // 32
L2_INPUT_BASE = 8  # crossbar inputs 8..11: events from the FPGA, one per SPL1 address
BACKGROUND_INPUT_BASE = 12  # crossbar inputs 12..19
PADI_OUTPUT_BASE = (0, 4)  # crossbar outputs 0..3 top PADI buses, 4..7 bottom
L2_OUTPUT_BASE = 8  # crossbar outputs 8..11 to the FPGA


CROSSBAR_POPULATED = np.zeros((CROSSBAR_INPUTS, CROSSBAR_OUTPUTS), bool)
CROSSBAR_POPULATED[CROSSBAR_NODES[:, 0], CROSSBAR_NODES[:, 1]] = True
"""CROSSBAR_POPULATED[input, output]: the 76 nodes that exist on the chip."""


def neuron_event_output(neuron: np.ndarray | int) -> np.ndarray | int:
    """Crossbar input (neuron event output 0..7) that a neuron's spikes enter."""
    return (np.asarray(neuron) % COLUMNS) // 32


DRIVER_BUS = np.arange(SYNAPSE_DRIVERS) % PADI_BUSES
"""PADI bus each synapse driver listens on."""
DRIVER_INDEX = np.arange(SYNAPSE_DRIVERS) // PADI_BUSES
"""Static 5-bit index of each driver on its bus, compared with the row-select address."""

