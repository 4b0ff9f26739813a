"""Real principal-branch Lambert W on [-1/e, 0], vectorised (faster than scipy's complex one)."""
from __future__ import annotations

import numpy as np

# Halley's method converges cubically; from the starting guesses below two steps reach
# the accuracy of three (4e-14 relative at worst, where W is ill-conditioned near the branch
# point; checked against scipy in the tests)
_HALLEY_STEPS = 2


def lambertw0(z: np.ndarray) -> np.ndarray:
    """W_0(z) for real z in [-1/e, 0]: the solution w >= -1 of w e^w = z.

    Starting guess: the branch-point series in p = sqrt(2 (e z + 1)) for z < -0.25, the Taylor
    series at 0 otherwise; then Halley steps. Very close to the branch point the series alone
    is exact to rounding (and Halley's step would divide 0 by 0).
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.sqrt(np.maximum(2.0 * (np.e * z + 1.0), 0.0))
    near = -1.0 + p * (1.0 + p * (-1.0 / 3.0 + p * (11.0 / 72.0 + p * (-43.0 / 540.0))))
    far = z * (1.0 + z * (-1.0 + z * (1.5 + z * (-8.0 / 3.0))))
    w = np.where(z < -0.25, near, far)
    start = w
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 at the branch point, unused
        for _ in range(_HALLEY_STEPS):  # on every element: cheaper than gathering a subset
            ew = np.exp(w)
            f = w * ew - z
            wp1 = w + 1.0
            w = w - f / (ew * wp1 - (w + 2.0) * f / (2.0 * wp1))
    return np.where(p > 1e-3, w, start)
