"""Time-to-first-spike encodings of input values (units of tau_syn)."""
from __future__ import annotations

import numpy as np

EARLY = 0.15
LATE = 2.0


def linear_times(values: np.ndarray, early: float = EARLY, late: float = LATE) -> np.ndarray:
    """Values in [0, 1] to spike times early + v (late - early) (Yin-Yang coordinates)."""
    return early + np.asarray(values, dtype=np.float64) * (late - early)


def inverted_times(
    intensities: np.ndarray, early: float = EARLY, late: float = LATE
) -> np.ndarray:
    """Pixel intensities in [0, 1] to early + (1 - p)(late - early): bright pixels spike first,
    background pixels (p = 0) stay silent (+inf), as in the paper's MNIST encoding."""
    p = np.asarray(intensities, dtype=np.float64)
    return np.where(p > 0, early + (1.0 - p) * (late - early), np.inf)
