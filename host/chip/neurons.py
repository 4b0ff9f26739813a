"""Neuron CapMem settings for first-spike-time networks on the chip, and the backward model
they imply.

The paper ran tau_mem = tau_syn = 6 us, leak 80 / threshold 150 (CADC LSB), i_synin_gm 550,
synapse DAC bias 800-1000, refractory 16 us and a weight scale of 30 (paper-facts §7). bss2emu's
CapMem transfer functions (docs/chip.md §4.1) map these to the codes below; a calibration
replaces the per-neuron codes, the targets stay.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# CapMem codes that give the targets on an ideal (mismatch-free) chip
DEFAULT_CODES = {
    "v_leak": 300, "v_reset": 300, "v_threshold": 370,
    "i_bias_leak": 228, "i_bias_synin_exc_tau": 186, "i_bias_synin_inh_tau": 186,
    "i_bias_synin_exc_gm": 550, "i_bias_synin_inh_gm": 550,
}
SYNAPSE_DAC = 800
MEMBRANE_CAPACITANCE = 63
REFRACTORY_TIME = 250  # cycles of the slow clock
CLOCK_SCALE_SLOW = 3  # 250 MHz / 16 -> 64 ns cycles, 250 cycles = 16 us

TAU_US = 6.0  # 1 model time unit
WEIGHT_SCALE = 30.0  # hardware weight = round(30 * model weight), clipped to +-63
VOLT_PER_CODE = 0.9 / 480.0
C_MEM = 2.2e-12
I_SYN_LSB = 3.8e-9 * (550 / 1022) * (SYNAPSE_DAC / 1022)


@dataclass
class NeuronSettings:
    """CapMem codes per neuron (default everywhere unless a calibration gives its own)."""

    codes: dict[int, dict[str, int]] = field(default_factory=dict)

    def for_neuron(self, neuron: int) -> dict[str, int]:
        return {**DEFAULT_CODES, **self.codes.get(neuron, {})}


def backward_threshold() -> float:
    """Threshold c of the backward model (tau_m = tau_s = 1, leak 0, g_leak 1) implied by the
    targets: (V_th - E_l) C / (scale I_lsb tau) -- the summed unit-PSP kernels at which the
    chip's neurons fire, in model units."""
    gap = (DEFAULT_CODES["v_threshold"] - DEFAULT_CODES["v_leak"]) * VOLT_PER_CODE
    return gap * C_MEM / (WEIGHT_SCALE * I_SYN_LSB * TAU_US * 1e-6)
