"""Time and energy to solution of inference on the chip.

Power model (bss2emu): the chip draws a constant power while it classifies, anchored on the
paper's BrainScaleS-2 MNIST measurement, 8.4 uJ per image at 48 us per image, i.e. about
175 mW (paper-facts §8). Energy per classification = power x hardware time per sample; the
host's wall time is reported next to it, since an emulator is not a chip.
"""
from __future__ import annotations

from dataclasses import dataclass

ANCHOR_ENERGY_J = 8.4e-6
ANCHOR_TIME_S = 48e-6
CHIP_POWER_W = ANCHOR_ENERGY_J / ANCHOR_TIME_S


@dataclass(frozen=True)
class InferenceCost:
    """Per-classification figures of an inference run."""

    samples: int
    window_s: float
    wall_s: float

    @property
    def classifications_per_hw_second(self) -> float:
        return 1.0 / self.window_s

    @property
    def energy_per_classification_j(self) -> float:
        return CHIP_POWER_W * self.window_s

    def summary(self) -> str:
        return (f"hardware time {self.window_s * 1e6:.0f} us per sample "
                f"({self.classifications_per_hw_second:,.0f} classifications per second of "
                f"hardware time), energy {self.energy_per_classification_j * 1e6:.1f} uJ per "
                f"classification at {CHIP_POWER_W * 1e3:.0f} mW; host wall time "
                f"{self.wall_s / self.samples * 1e6:.0f} us per sample")
