"""Physical neuron parameters of the whole chip, computed from its CapMem codes, digital
configuration and fixed-pattern noise, converted to engine units (volts, chip ticks)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.capmem import CAPMEM_DISABLE_REFRESH

from . import analog
from .analog import FixedPattern
from .config import ChipConfig
from .errors import ParameterError
from .geometry import CHIP_TICK_S

_ROW = {name: i for i, name in enumerate(ob.CAPMEM_NEURON_ROWS)}
_NEURON_BLOCK = np.array([ob.neuron_quadrant(n)[0] for n in range(ob.NEURONS)])
_NEURON_COLUMN = np.array([ob.neuron_quadrant(n)[1] for n in range(ob.NEURONS)])
_SIDE = (np.arange(ob.NEURONS) % ob.COLUMNS) // 128
_BACKEND = ob.NEURON_TO_BACKEND


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
    adex_enable: np.ndarray  # adaptation or the exponential term
    exp_enable: np.ndarray  # the exponential term
    delta_t: np.ndarray
    v_exp: np.ndarray
    adapt_a: np.ndarray  # 1/tick (a / C)
    adapt_b: np.ndarray  # V/tick (b / C)
    tau_adapt: np.ndarray


def driven_capmem(config: ChipConfig) -> np.ndarray:
    """The values the CapMem cells drive: 0 where a block is switched off
    (`enable_capmem` = 0) or a cell is not refreshed (value 1023: it decays; bss2emu's
    choice is to treat it as fully decayed)."""
    on = config.fields["capmem_block_config"]["enable_capmem"].astype(bool)
    cells = np.where(config.capmem == CAPMEM_DISABLE_REFRESH, 0, config.capmem)
    return np.where(on[:, None, None], cells, 0)


def _cells(capmem: np.ndarray, name: str) -> np.ndarray:
    return capmem[_NEURON_BLOCK, _NEURON_COLUMN, _ROW[name]].astype(np.float64)


def compute(config: ChipConfig, fpn: FixedPattern) -> NeuronParameters:
    """All neurons' parameters for the current configuration."""

    capmem = driven_capmem(config)
    neuron, backend = config.neuron, config.backend
    common = config.fields["common_neuron_backend"]

    def cells(name: str) -> np.ndarray:
        return _cells(capmem, name)

    def volt(name: str, k: int) -> np.ndarray:
        return analog.voltage(cells(name)) * fpn.v_gain[k] + fpn.v_offset[k]

    c_mem = analog.capacitance(neuron.membrane_capacitor_size) * fpn.capacitance
    g_leak = analog.leak_conductance(cells("i_bias_leak")) * fpn.g_leak
    e_leak = volt("v_leak", 0)
    offset = analog.I_OFFSET_MAX * cells("i_mem_offset") / 1022.0
    offset = np.where(neuron.invert_membrane_offset, -offset, offset)
    e_leak = np.where(neuron.enable_membrane_offset, e_leak + offset / g_leak, e_leak)
    dac_col, dac_row = ob.CAPMEM_SHARED_CELLS["syn_i_bias_dac"]
    dac = capmem[_NEURON_BLOCK, dac_col, dac_row]
    i_exc = analog.synaptic_current(cells("i_bias_synin_exc_gm"), dac) * fpn.gain_exc
    i_inh = analog.synaptic_current(cells("i_bias_synin_inh_gm"), dac) * fpn.gain_inh
    # a column's synaptic current reaches the neuron through its column switch and input
    i_exc = np.where(neuron.enable_synaptic_input_excitatory & config.current_exc.reshape(-1),
                     i_exc, 0.0)
    i_inh = np.where(neuron.enable_synaptic_input_inhibitory & config.current_inh.reshape(-1),
                     i_inh, 0.0)
    # refractory and reset-hold counters of the digital backend
    scale = np.where(backend.select_input_clock[_BACKEND] == 1,
                     common.clock_scale_fast[_SIDE],
                     common.clock_scale_slow[_SIDE]).astype(np.int64)
    ticks_per_cycle = np.left_shift(1, scale + 1)
    refr = backend.refractory_time[_BACKEND].astype(np.int64)
    hold = np.maximum(refr - (0x1F - 2 * backend.reset_holdoff[_BACKEND].astype(np.int64)), 0)
    exponential = neuron.enable_exponential.astype(bool)
    adaptation = neuron.enable_adaptation.astype(bool)
    adex = adaptation | exponential
    a_code = cells("i_bias_adapt_a") / 1022.0
    b_code = cells("i_bias_adapt_b") / 1022.0
    params = NeuronParameters(
        e_leak=e_leak,
        v_reset=volt("v_reset", 1),
        v_threshold=volt("v_threshold", 2),
        tau_mem=c_mem / g_leak / CHIP_TICK_S,
        tau_syn_exc=analog.tau_syn(cells("i_bias_synin_exc_tau")) * fpn.tau_exc / CHIP_TICK_S,
        tau_syn_inh=analog.tau_syn(cells("i_bias_synin_inh_tau")) * fpn.tau_inh / CHIP_TICK_S,
        capacitance=c_mem,
        drive_exc=i_exc / c_mem * CHIP_TICK_S,
        drive_inh=i_inh / c_mem * CHIP_TICK_S,
        hold_ticks=hold * ticks_per_cycle,
        refractory_ticks=refr * ticks_per_cycle,
        # a spike needs the comparator and the fire output (bss2emu's reading of haldls)
        fire_enable=(neuron.enable_threshold_comparator & neuron.enable_fire).astype(bool),
        adex_enable=adex,
        exp_enable=exponential,
        delta_t=np.where(exponential,
                         analog.DELTA_T_MIN + analog.DELTA_T_SPAN * cells("i_bias_exp") / 1022.0,
                         1.0),
        v_exp=np.where(exponential, volt("v_exp", 3), 1e3),
        adapt_a=np.where(adaptation, analog.G_ADAPT_MAX * a_code / c_mem * CHIP_TICK_S, 0.0),
        adapt_b=np.where(adaptation, analog.I_ADAPT_B_MAX * b_code / c_mem * CHIP_TICK_S, 0.0),
        tau_adapt=analog.TAU_ADAPT_MIN * (1023.0 / (cells("i_bias_adapt_tau") + 1.0)) ** 2
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
