"""The chip's digital configuration state: every value the omnibus registers hold, as arrays."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bss2emu.protocol.omnibus import (
    BACKGROUND_SOURCES,
    CAPMEM_BLOCKS,
    CAPMEM_COLUMNS,
    CAPMEM_ROWS,
    COLUMNS,
    CROSSBAR_INPUTS,
    CROSSBAR_OUTPUTS,
    HEMISPHERES,
    NEURONS,
    PADI_BUSES,
    SYNAPSE_DRIVERS,
    SYNAPSE_ROWS,
)

SYNRAM = (HEMISPHERES, SYNAPSE_ROWS, COLUMNS)
DRIVERS = (HEMISPHERES, SYNAPSE_DRIVERS)
CROSSBAR = (CROSSBAR_INPUTS, CROSSBAR_OUTPUTS)

CROSSBAR_DROP_ALL_TARGET = 1
"""Reset value of a crossbar node: mask 0, target 1 -- matches no label."""


def _zeros(shape, dtype=np.uint32):
    return field(default_factory=lambda: np.zeros(shape, dtype))


@dataclass
class ChipConfig:
    """Register-level state; all zero after reset except where noted."""

    weight: np.ndarray = _zeros(SYNRAM, np.uint8)
    time_calib: np.ndarray = _zeros(SYNRAM, np.uint8)
    label: np.ndarray = _zeros(SYNRAM, np.uint8)
    amp_calib: np.ndarray = _zeros(SYNRAM, np.uint8)
    padi_enable_spl1: np.ndarray = _zeros((HEMISPHERES, PADI_BUSES), bool)
    driver_row_mode_top: np.ndarray = _zeros(DRIVERS, np.uint8)
    driver_row_mode_bottom: np.ndarray = _zeros(DRIVERS, np.uint8)
    driver_compare_mask: np.ndarray = _zeros(DRIVERS, np.uint8)
    driver_enable_address_out: np.ndarray = _zeros(DRIVERS, bool)
    crossbar_mask: np.ndarray = _zeros(CROSSBAR)
    crossbar_target: np.ndarray = field(
        default_factory=lambda: np.full(CROSSBAR, CROSSBAR_DROP_ALL_TARGET, np.uint32))
    crossbar_drop_counter: np.ndarray = _zeros(CROSSBAR, bool)
    bg_period: np.ndarray = _zeros(BACKGROUND_SOURCES)
    bg_rate: np.ndarray = _zeros(BACKGROUND_SOURCES)
    bg_mask: np.ndarray = _zeros(BACKGROUND_SOURCES)
    bg_seed: np.ndarray = _zeros(BACKGROUND_SOURCES)
    bg_enable: np.ndarray = _zeros(BACKGROUND_SOURCES, bool)
    bg_enable_random: np.ndarray = _zeros(BACKGROUND_SOURCES, bool)
    bg_neuron_label: np.ndarray = _zeros(BACKGROUND_SOURCES)
    capmem: np.ndarray = _zeros((CAPMEM_BLOCKS, CAPMEM_COLUMNS, CAPMEM_ROWS), np.uint16)
    # neuron config (per global neuron = hemisphere * 256 + column)
    membrane_capacitance: np.ndarray = _zeros(NEURONS, np.uint8)
    enable_threshold_comparator: np.ndarray = _zeros(NEURONS, bool)
    enable_synaptic_input_exc: np.ndarray = _zeros(NEURONS, bool)
    enable_synaptic_input_inh: np.ndarray = _zeros(NEURONS, bool)
    enable_adaptation: np.ndarray = _zeros(NEURONS, bool)
    enable_exponential: np.ndarray = _zeros(NEURONS, bool)
    enable_offset_current: np.ndarray = _zeros(NEURONS, bool)
    enable_readout: np.ndarray = _zeros(NEURONS, bool)
    readout_source: np.ndarray = _zeros(NEURONS, np.uint8)
    # neuron backend
    address_out: np.ndarray = _zeros(NEURONS)
    refractory_time: np.ndarray = _zeros(NEURONS)
    reset_holdoff: np.ndarray = _zeros(NEURONS)
    select_input_clock: np.ndarray = _zeros(NEURONS, np.uint8)
    enable_spike_out: np.ndarray = _zeros(NEURONS, bool)
    clock_scale_slow: np.ndarray = _zeros(2)
    clock_scale_fast: np.ndarray = _zeros(2)
    # column correlation switches (per hemisphere, column)
    corr_internal_causal: np.ndarray = _zeros((HEMISPHERES, COLUMNS), bool)
    corr_internal_acausal: np.ndarray = _zeros((HEMISPHERES, COLUMNS), bool)
    cadc_neuron_causal: np.ndarray = _zeros((HEMISPHERES, COLUMNS), bool)
    cadc_neuron_acausal: np.ndarray = _zeros((HEMISPHERES, COLUMNS), bool)
