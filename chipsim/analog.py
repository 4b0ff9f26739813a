"""Analog model: CapMem codes -> physical neuron parameters through monotone transfer functions,
with per-chip fixed-pattern noise (FPN) drawn once from the chip's seed.

All transfer functions are bss2emu's model (the real chip's are only known empirically through
calibration); their shapes and constants are documented in docs/chip.md. Results are SI units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.protocol.omnibus import COLUMNS, HEMISPHERES, NEURONS, SYNAPSE_ROWS

# voltage cells: 70 -> 0.15 V, 550 -> 1.05 V (CADC calibration range of the real chip)
VOLT_PER_LSB = 0.9 / 480.0
VOLT_OFFSET = 0.15 - 70 * VOLT_PER_LSB
# membrane capacitance: 6-bit switchable, about 2.2 pF at 63
C_MEM_MAX = 2.2e-12
# leak conductance: g = G_LEAK_MAX * ((code + 1) / 1023)^2  (tau_mem 0.3 us at full scale, C max)
G_LEAK_MAX = C_MEM_MAX / 0.3e-6
# synaptic time constant: tau = TAU_SYN_MIN * (1023 / (code + 1))^2
TAU_SYN_MIN = 0.2e-6
TAU_ADAPT_MIN = 1.0e-6
# synaptic current jump per weight LSB at full-scale gm and DAC bias
I_SYN_LSB = 3.8e-9
# offset current at full scale, adaptation strengths at full scale, exponential slope range
I_OFFSET_MAX = 10e-9
G_ADAPT_MAX = 1.0e-6
I_ADAPT_B_MAX = 50e-9
DELTA_T_MIN, DELTA_T_SPAN = 2e-3, 50e-3

# default fixed-pattern noise magnitudes (standard deviations)
FPN_DEFAULTS = {
    "voltage_offset": 0.012,  # V, per voltage cell (leak, reset, threshold, v_exp)
    "voltage_gain": 0.02,  # relative
    "leak_conductance": 0.25,  # log-normal sigma
    "tau_syn": 0.20,  # log-normal sigma (exc and inh separately)
    "capacitance": 0.03,  # relative
    "synaptic_gain": 0.12,  # relative, per neuron and input (exc/inh)
    "synapse_amplitude": 0.05,  # relative, per synapse
    "tau_adapt": 0.2,  # log-normal sigma
}


@dataclass(frozen=True)
class FixedPattern:
    """The per-chip mismatch factors, drawn once per chip seed."""

    v_offset: np.ndarray  # (4, NEURONS): leak, reset, threshold, v_exp
    v_gain: np.ndarray  # (4, NEURONS)
    g_leak: np.ndarray  # (NEURONS,)
    tau_exc: np.ndarray
    tau_inh: np.ndarray
    capacitance: np.ndarray
    gain_exc: np.ndarray
    gain_inh: np.ndarray
    tau_adapt: np.ndarray
    synapse: np.ndarray  # (HEMISPHERES, SYNAPSE_ROWS, COLUMNS)

    @classmethod
    def draw(cls, seed: int, scale: float = 1.0) -> FixedPattern:
        """Draw the mismatch of chip `seed`; `scale` multiplies every default magnitude."""
        rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0xB552])
        s = {k: v * scale for k, v in FPN_DEFAULTS.items()}

        def lognormal(sigma: float, shape=(NEURONS,)) -> np.ndarray:
            return np.exp(rng.normal(0.0, sigma, shape))

        def relative(sigma: float, shape=(NEURONS,)) -> np.ndarray:
            return np.clip(1.0 + rng.normal(0.0, sigma, shape), 0.2, None)

        return cls(
            v_offset=rng.normal(0.0, s["voltage_offset"], (4, NEURONS)),
            v_gain=relative(s["voltage_gain"], (4, NEURONS)),
            g_leak=lognormal(s["leak_conductance"]),
            tau_exc=lognormal(s["tau_syn"]),
            tau_inh=lognormal(s["tau_syn"]),
            capacitance=relative(s["capacitance"]),
            gain_exc=relative(s["synaptic_gain"]),
            gain_inh=relative(s["synaptic_gain"]),
            tau_adapt=lognormal(s["tau_adapt"]),
            synapse=relative(s["synapse_amplitude"], (HEMISPHERES, SYNAPSE_ROWS, COLUMNS)),
        )


def voltage(code: np.ndarray) -> np.ndarray:
    """Ideal voltage of a CapMem voltage cell."""
    return VOLT_OFFSET + np.asarray(code, np.float64) * VOLT_PER_LSB


def capacitance(cap_code: np.ndarray) -> np.ndarray:
    """Ideal membrane capacitance of the 6-bit setting."""
    return C_MEM_MAX * (np.asarray(cap_code, np.float64) + 1.0) / 64.0


def leak_conductance(code: np.ndarray) -> np.ndarray:
    """Ideal leak conductance of the i_bias_leak cell."""
    return G_LEAK_MAX * ((np.asarray(code, np.float64) + 1.0) / 1023.0) ** 2


def tau_syn(code: np.ndarray) -> np.ndarray:
    """Ideal synaptic time constant of an i_bias_synin_*_tau cell."""
    return TAU_SYN_MIN * (1023.0 / (np.asarray(code, np.float64) + 1.0)) ** 2


def synaptic_current(gm_code: np.ndarray, dac_code: np.ndarray) -> np.ndarray:
    """Ideal synaptic current jump per weight LSB (i_bias_synin_*_gm and syn_i_bias_dac)."""
    return I_SYN_LSB * (np.asarray(gm_code, np.float64) / 1022.0) * (
        np.asarray(dac_code, np.float64) / 1022.0)
