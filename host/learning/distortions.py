"""Substrate imperfections as seeded, recorded distortions of the forward pass (the paper's
robustness study, paper-facts §9): how much first-spike-time learning loses on an imperfect
substrate, and how much training with the imperfection in the loop wins back.

`Distortions` holds the magnitudes, the condition ("loop": training, validation and test see
them; "test": only the final test does) and the seed of every random draw; `FixedPattern` the
substrate those draws make. `distorted_backend.DistortedBackend` applies them around a forward
backend; the backward pass stays the nominal model's, which is the point: the gradients assume a
substrate the forward pass does not have. This module needs numpy only, so that the command
line can parse distortions without importing the learning code.

Fixed-pattern draws (per-neuron tau-ratio and threshold factors, which hidden neurons are dead)
depend on the seed and the layer sizes only, so a network meets the same substrate in every
epoch and at test time. Spike-time jitter is drawn afresh for every forward pass, from a stream
the trainer reseeds per (phase, epoch): a resumed run sees the same noise as an uninterrupted
one.

What each distortion does, in software mode (closed forms, or the exact spread solver) and in
chip mode (applied on the host around the chip's own forward pass):

- jitter: Gaussian noise (std in model time units) on the input spike times, and in software
  mode also on every neuron's spike before the next layer and the loss see it; negative times
  are mirrored, silent stays silent. On a chip only the input events can be moved.
- tau_ratio_spread: each neuron's tau_m scaled by max(1 + spread * N(0, 1), 0.05) at a fixed
  membrane capacitance (so its leak conductance scales inversely). Software mode only: a chip
  has its own time-constant mismatch (its fixed-pattern noise, removed by calibration).
- threshold_spread: each neuron's threshold distance above leak scaled by
  max(1 + spread * N(0, 1), 0.05). Software mode only, for the same reason.
- weight_bits: weights rounded to 2**bits - 1 levels per sign of the layer's range (the
  weight_range if set, else the layer's largest |w|), forward pass only (the update still
  accumulates on the full-precision weights). A chip then rounds once more to its own 6 bits.
- weight_range: weights clipped to +-range; in the loop the stored weights are clipped too
  (as a chip's range clips them), at test time only the weights used for the test.
- dead_fraction: round(fraction * n) neurons of every hidden layer never spike (their incoming
  weights are zero and their times +inf), in both modes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
from bss2emu.host.learning.errors import LearningInputError

CONDITIONS = ("loop", "test")
# lowest factor a spread may scale a time constant or threshold distance by (keeps them > 0)
_MIN_FACTOR = 0.05
# the distortions acting on the neurons themselves, which a chip brings on its own
NEURON_DISTORTIONS = ("tau_ratio_spread", "threshold_spread")


@dataclass(frozen=True)
class Distortions:
    """Magnitudes of the substrate distortions (0 or None: off), their condition and seed."""

    jitter: float = 0.0
    tau_ratio_spread: float = 0.0
    threshold_spread: float = 0.0
    weight_bits: int | None = None
    weight_range: float | None = None
    dead_fraction: float = 0.0
    condition: str = "loop"
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("jitter", "tau_ratio_spread", "threshold_spread"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise LearningInputError(f"distortion {name} must be a finite number >= 0, "
                                         f"got {value!r}")
        bits = self.weight_bits
        if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int)
                                 or not 1 <= bits <= 16):
            raise LearningInputError(f"weight_bits must be an integer from 1 to 16, got {bits!r}")
        limit = self.weight_range
        if limit is not None and not (isinstance(limit, int | float) and math.isfinite(limit)
                                      and limit > 0):
            raise LearningInputError(f"weight_range must be a positive number, got {limit!r}")
        dead = self.dead_fraction
        if not (isinstance(dead, int | float) and 0 <= dead < 1):
            raise LearningInputError(f"dead_fraction must lie in [0, 1), got {dead!r}")
        if self.condition not in CONDITIONS:
            raise LearningInputError(f"distortion condition must be one of "
                                     f"{', '.join(CONDITIONS)}, got {self.condition!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise LearningInputError(f"distortion seed must be an integer >= 0, "
                                     f"got {self.seed!r}")

    @property
    def active(self) -> bool:
        """Whether any distortion is switched on."""
        return bool(self.jitter or self.tau_ratio_spread or self.threshold_spread
                    or self.weight_bits is not None or self.weight_range is not None
                    or self.dead_fraction)

    def to_dict(self) -> dict:
        """JSON-ready dict (stored in the training configuration and metrics.json)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Distortions:
        """Inverse of `to_dict`; rejects unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise LearningInputError(f"unknown distortions: {', '.join(sorted(unknown))} "
                                     f"(known: {', '.join(sorted(known))})")
        return cls(**data)


@dataclass(frozen=True)
class FixedPattern:
    """One substrate's draws for a network of given sizes: per layer, each neuron's tau_m
    factor and threshold factor, and the mask of dead neurons (all False in the label layer)."""

    tau_factor: list[np.ndarray]
    threshold_factor: list[np.ndarray]
    dead: list[np.ndarray]

    @classmethod
    def draw(cls, distortions: Distortions, sizes: list[int]) -> FixedPattern:
        """Independent streams per kind, so that one magnitude does not move another's draws."""
        tau_seq, threshold_seq, dead_seq = np.random.SeedSequence(
            [distortions.seed, 1]).spawn(3)
        tau_rng, threshold_rng = np.random.default_rng(tau_seq), np.random.default_rng(
            threshold_seq)
        dead_rng = np.random.default_rng(dead_seq)
        layers = sizes[1:]
        tau = [np.maximum(1.0 + distortions.tau_ratio_spread * tau_rng.standard_normal(n),
                          _MIN_FACTOR) for n in layers]
        threshold = [np.maximum(1.0 + distortions.threshold_spread
                                * threshold_rng.standard_normal(n), _MIN_FACTOR)
                     for n in layers]
        dead = []
        for index, n in enumerate(layers):
            mask = np.zeros(n, dtype=bool)
            if index < len(layers) - 1:
                mask[dead_rng.permutation(n)[:round(distortions.dead_fraction * n)]] = True
            dead.append(mask)
        return cls(tau, threshold, dead)


def quantised(w: np.ndarray, bits: int, limit: float | None) -> np.ndarray:
    """`w` rounded to 2**bits - 1 levels per sign of +-limit (default: the largest |w|)."""
    top = float(np.max(np.abs(w))) if limit is None else limit
    if top == 0.0:
        return w.copy()
    step = top / (2**bits - 1)
    return np.clip(np.round(w / step) * step, -top, top)
