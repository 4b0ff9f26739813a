"""Physical neuron parameters of the whole chip, computed from its CapMem codes, digital
configuration and fixed-pattern noise, converted to engine units (volts, chip ticks)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.protocol import omnibus as ob

from . import analog
from .analog import FixedPattern
from .config import ChipConfig
from .errors import ParameterError
from .geometry import CHIP_TICK_S

_ROW = {name: i for i, name in enumerate(ob.CAPMEM_NEURON_ROWS)}
_NEURON_BLOCK = np.array([ob.neuron_quadrant(n)[0] for n in range(ob.NEURONS)])
_NEURON_COLUMN = np.array([ob.neuron_quadrant(n)[1] for n in range(ob.NEURONS)])
_SIDE = (np.arange(ob.NEURONS) % ob.COLUMNS) // 128


@dataclass(frozen=True)
class NeuronParameters:
    """Per-neuron parameters in engine units (V, ticks, V/tick), plus SI values for reports."""

    e_leak: np.ndarray
    v_reset: np.ndarray
    v_threshold: np.ndarray
    tau_mem: np.ndarray
    tau_syn_exc: np.ndarray
    tau_syn_inh: np.ndarray
    capacitance: np.ndarray  # F
    drive_exc: np.ndarray  # V/tick per weight LSB (before per-synapse mismatch)
    drive_inh: np.ndarray
    hold_ticks: np.ndarray
    refractory_ticks: np.ndarray
    fire_enable: np.ndarray
    adex_enable: np.ndarray
    delta_t: np.ndarray
    v_exp: np.ndarray
    adapt_a: np.ndarray  # 1/tick (a / C)
    adapt_b: np.ndarray  # V/tick (b / C)
    tau_adapt: np.ndarray


def _cells(config: ChipConfig, name: str) -> np.ndarray:
    return config.capmem[_NEURON_BLOCK, _NEURON_COLUMN, _ROW[name]].astype(np.float64)


def compute(config: ChipConfig, fpn: FixedPattern) -> NeuronParameters:
    """All neurons' parameters for the current configuration."""

    def volt(name: str, k: int) -> np.ndarray:
        return analog.voltage(_cells(config, name)) * fpn.v_gain[k] + fpn.v_offset[k]

    c_mem = analog.capacitance(config.membrane_capacitance) * fpn.capacitance
    g_leak = analog.leak_conductance(_cells(config, "i_bias_leak")) * fpn.g_leak
    e_leak = volt("v_leak", 0)
    offset = analog.I_OFFSET_MAX * _cells(config, "i_mem_offset") / 1022.0
    e_leak = np.where(config.enable_offset_current, e_leak + offset / g_leak, e_leak)
    dac = config.capmem[_NEURON_BLOCK, 128, ob.CAPMEM_SHARED_ROWS.index("syn_i_bias_dac")]
    i_exc = analog.synaptic_current(_cells(config, "i_bias_synin_exc_gm"), dac) * fpn.gain_exc
    i_inh = analog.synaptic_current(_cells(config, "i_bias_synin_inh_gm"), dac) * fpn.gain_inh
    i_exc = np.where(config.enable_synaptic_input_exc, i_exc, 0.0)
    i_inh = np.where(config.enable_synaptic_input_inh, i_inh, 0.0)
    # refractory and reset-hold counters of the digital backend
    scale = np.where(config.select_input_clock == 1, config.clock_scale_fast[_SIDE],
                     config.clock_scale_slow[_SIDE]).astype(np.int64)
    ticks_per_cycle = np.left_shift(1, scale + 1)
    refr = config.refractory_time.astype(np.int64)
    hold = np.maximum(refr - (0x1F - 2 * config.reset_holdoff.astype(np.int64)), 0)
    adex = config.enable_adaptation | config.enable_exponential
    a_code = _cells(config, "i_bias_adapt_a") / 1022.0
    b_code = _cells(config, "i_bias_adapt_b") / 1022.0
    params = NeuronParameters(
        e_leak=e_leak,
        v_reset=volt("v_reset", 1),
        v_threshold=volt("v_threshold", 2),
        tau_mem=c_mem / g_leak / CHIP_TICK_S,
        tau_syn_exc=analog.tau_syn(_cells(config, "i_bias_synin_exc_tau")) * fpn.tau_exc
        / CHIP_TICK_S,
        tau_syn_inh=analog.tau_syn(_cells(config, "i_bias_synin_inh_tau")) * fpn.tau_inh
        / CHIP_TICK_S,
        capacitance=c_mem,
        drive_exc=i_exc / c_mem * CHIP_TICK_S,
        drive_inh=i_inh / c_mem * CHIP_TICK_S,
        hold_ticks=hold * ticks_per_cycle,
        refractory_ticks=refr * ticks_per_cycle,
        fire_enable=config.enable_threshold_comparator.copy(),
        adex_enable=adex,
        delta_t=np.where(config.enable_exponential,
                         analog.DELTA_T_MIN + analog.DELTA_T_SPAN * _cells(config, "i_bias_exp")
                         / 1022.0, 1.0),
        v_exp=np.where(config.enable_exponential, volt("v_exp", 3), 1e3),
        adapt_a=np.where(config.enable_adaptation,
                         analog.G_ADAPT_MAX * a_code / c_mem * CHIP_TICK_S, 0.0),
        adapt_b=np.where(config.enable_adaptation,
                         analog.I_ADAPT_B_MAX * b_code / c_mem * CHIP_TICK_S, 0.0),
        tau_adapt=analog.TAU_ADAPT_MIN * (1023.0 / (_cells(config, "i_bias_adapt_tau") + 1.0)) ** 2
        * fpn.tau_adapt / CHIP_TICK_S,
    )
    check_finite(params)
    return params


def check_finite(params: NeuronParameters) -> None:
    """ParameterError naming the first non-finite or non-positive parameter."""
    for name, value in params.__dict__.items():
        arr = np.asarray(value, np.float64)
        bad = ~np.isfinite(arr)
        if name.startswith("tau") or name == "capacitance":
            bad |= arr <= 0
        if bad.any():
            n = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"parameter {name} of neuron {n} is {arr[n]!r}")
