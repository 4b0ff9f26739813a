"""Parameters of the current-based LIF neuron with exponential synapses used for learning.

Times are in the model's time unit; only tau_m = tau_s ("ratio 1", Lambert-W closed form) and
tau_m = 2 tau_s ("ratio 2", log/sqrt closed form) have closed-form first-spike times.
"""
from __future__ import annotations

from dataclasses import dataclass

TAU_RATIOS = (1, 2)


@dataclass(frozen=True)
class NeuronParams:
    """LIF parameters: tau_m = tau_ratio * tau_syn and C_m = g_leak * tau_m."""

    tau_ratio: int = 1
    tau_syn: float = 1.0
    leak: float = 0.0
    threshold: float = 1.0
    g_leak: float = 1.0

    def __post_init__(self) -> None:
        if self.tau_ratio not in TAU_RATIOS:
            raise ValueError(f"tau_ratio must be 1 or 2, got {self.tau_ratio!r}")
        if not self.tau_syn > 0 or not self.g_leak > 0:
            raise ValueError("tau_syn and g_leak must be positive")
        if not self.threshold > self.leak:
            raise ValueError("threshold must lie above the leak potential")

    @property
    def c(self) -> float:
        """Threshold in the units of the summed PSP kernels: g_leak (threshold - leak)."""
        return self.g_leak * (self.threshold - self.leak)

    @property
    def tau_mem(self) -> float:
        """Membrane time constant."""
        return self.tau_ratio * self.tau_syn

    @classmethod
    def software_default(cls, tau_ratio: int) -> NeuronParams:
        """The paper's software neuron: tau_syn = threshold = 1, leak 0, g_leak = tau_s/tau_m."""
        return cls(tau_ratio=tau_ratio, g_leak=1.0 / tau_ratio)
