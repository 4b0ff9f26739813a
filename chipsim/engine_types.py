"""Data handed to the engines: resolved network tables and the dynamic neuron state.

Engine units: potentials in volts, time in chip clock ticks (4 ns), synaptic drive in volts per
tick (current divided by membrane capacitance).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Mode(IntEnum):
    """Neuron backend state (mirrors BSS2_MODE_* in core_api.h)."""

    FREE = 0
    PENDING = 1  # threshold crossed, waiting for the next clock edge to fire
    HOLD = 2  # membrane clamped to the reset potential
    REFRACTORY = 3  # membrane free, spiking inhibited


@dataclass
class NetworkTables:
    """Per-neuron physical parameters and the fan-out table of every event source."""

    e_leak: np.ndarray
    v_reset: np.ndarray
    v_threshold: np.ndarray
    tau_mem: np.ndarray
    tau_syn_exc: np.ndarray
    tau_syn_inh: np.ndarray
    hold_ticks: np.ndarray
    refractory_ticks: np.ndarray
    fire_enable: np.ndarray
    adex_enable: np.ndarray
    exp_enable: np.ndarray
    delta_t: np.ndarray
    v_exp: np.ndarray
    adapt_a: np.ndarray
    adapt_b: np.ndarray
    tau_adapt: np.ndarray
    fan_ptr: np.ndarray
    fan_neuron: np.ndarray
    fan_channel: np.ndarray
    fan_amp: np.ndarray
    latency_ticks: int
    threshold_noise: float = 0.0
    jitter: float = 0.0
    noise_seed: int = 0

    @property
    def n_neurons(self) -> int:
        return int(self.e_leak.shape[0])

    @property
    def n_sources(self) -> int:
        return int(self.fan_ptr.shape[0] - 1)


@dataclass
class NeuronState:
    """Dynamic state of all neurons, carried from one run to the next."""

    v: np.ndarray
    je: np.ndarray
    ji: np.ndarray
    w: np.ndarray
    mode: np.ndarray
    fire_time: np.ndarray
    hold_end: np.ndarray
    refractory_end: np.ndarray
    spike_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))

    @classmethod
    def at_rest(cls, e_leak: np.ndarray) -> NeuronState:
        """All neurons free at their leak potential with no synaptic current."""
        n = e_leak.shape[0]
        return cls(
            v=np.array(e_leak, dtype=np.float64),
            je=np.zeros(n),
            ji=np.zeros(n),
            w=np.zeros(n),
            mode=np.zeros(n, np.int32),
            fire_time=np.zeros(n),
            hold_end=np.zeros(n, np.int64),
            refractory_end=np.zeros(n, np.int64),
            spike_index=np.zeros(n, np.uint32),
        )
