"""The Yin-Yang data set generator (Kriener et al.), reproducing the published arrays bit for bit.

Samples are (x, y, 1-x, 1-y) in [0, 1]^4 with labels 0 yin, 1 yang, 2 dot; the published
train/validation/test sets use seeds 42/41/40 and sizes 5000/1000/1000.
"""
from __future__ import annotations

import numpy as np

R_SMALL = 0.1
R_BIG = 0.5
PUBLISHED_SPLITS: dict[str, tuple[int, int]] = {
    "train": (5000, 42),
    "validation": (1000, 41),
    "test": (1000, 40),
}


def yinyang_class(x: float, y: float) -> int:
    """Class of a point inside the big circle: 0 yin, 1 yang, 2 dot."""
    d_right = np.hypot(x - 1.5 * R_BIG, y - R_BIG)
    d_left = np.hypot(x - 0.5 * R_BIG, y - R_BIG)
    if d_right < R_SMALL or d_left < R_SMALL:
        return 2
    is_yin = R_SMALL < d_left <= 0.5 * R_BIG or (y > R_BIG and d_right > 0.5 * R_BIG)
    return int(is_yin)


def yinyang_classes(xy: np.ndarray) -> np.ndarray:
    """Vectorised `yinyang_class` for points of shape (n, 2) (true regions in class maps)."""
    x, y = xy[:, 0], xy[:, 1]
    d_right = np.hypot(x - 1.5 * R_BIG, y - R_BIG)
    d_left = np.hypot(x - 0.5 * R_BIG, y - R_BIG)
    in_left_half = (d_left > R_SMALL) & (d_left <= 0.5 * R_BIG)
    is_yin = in_left_half | ((y > R_BIG) & (d_right > 0.5 * R_BIG))
    dot = (d_right < R_SMALL) | (d_left < R_SMALL)
    return np.where(dot, 2, is_yin.astype(np.int64))


def generate_yinyang(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw `size` samples: returns (samples (size, 4) float64, labels (size,) int64).

    Each sample first draws its target class, then rejection-samples points until one
    lies in the big circle and has that class (balanced classes, as published).
    """
    rng = np.random.RandomState(seed)
    samples = np.empty((size, 4), dtype=np.float64)
    labels = np.empty(size, dtype=np.int64)
    for n in range(size):
        goal = rng.randint(3)
        while True:
            x, y = rng.rand(2) * 2.0 * R_BIG
            inside = np.sqrt((x - R_BIG) ** 2 + (y - R_BIG) ** 2) <= R_BIG
            if inside and yinyang_class(x, y) == goal:
                break
        samples[n] = (x, y, 1.0 - x, 1.0 - y)
        labels[n] = goal
    return samples, labels
