"""scikit-learn's 8x8 handwritten digits as a small, download-free MNIST.

Intensities 0..16 are scaled to [0, 1] and inverted-encoded (blank pixels silent); the 1797
images are split 1197/300/300 into train/validation/test by a seeded permutation.
"""
from __future__ import annotations

import numpy as np
from bss2emu.host.learning.dataset import Dataset, Split
from bss2emu.host.learning.encoding import inverted_times

N_VALIDATION = 300
N_TEST = 300


def digits_dataset(seed: int = 0) -> Dataset:
    """The encoded digits with a train/validation/test split fixed by `seed`."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    times = inverted_times(digits.data / 16.0)
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    test, val, train = np.split(order, [N_TEST, N_TEST + N_VALIDATION])
    return Dataset(
        "digits",
        Split(times[train], labels[train]),
        Split(times[val], labels[val]),
        Split(times[test], labels[test]),
        10,
    )
