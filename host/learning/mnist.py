"""MNIST from IDX files the user supplies, as 16x16 images in the paper's inverted encoding.

Images are center-cropped to 24x24, downscaled to 16x16 (area-weighted triangle filter, as an
antialiased bilinear resize), scaled to [0, 1]; background pixels stay silent. Split: train
= first 50 000 training images (5/6 of smaller files), validation = the rest, test = the test
images.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from bss2emu.host.learning.dataset import Dataset, Split
from bss2emu.host.learning.encoding import inverted_times
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.idx import read_idx

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
N_TRAIN = 50_000
CROP = 24
SIZE = 16


def resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) rows of a normalised triangle (bilinear, antialiased) resampling filter."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    centers = (np.arange(n_out) + 0.5) * scale
    pixels = np.arange(n_in) + 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(pixels[None, :] - centers[:, None]) / support)
    return weights / weights.sum(axis=1, keepdims=True)


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) to intensities (n, 256) in [0, 1]: crop 24x24, resize 16x16."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise LearningInputError(f"MNIST images must be (n, 28, 28), got {images.shape}")
    if images.dtype != np.uint8:
        raise LearningInputError(f"MNIST images must be unsigned bytes, got {images.dtype}")
    off = (28 - CROP) // 2
    crop = images[:, off:off + CROP, off:off + CROP].astype(np.float64) / 255.0
    m = resize_matrix(CROP, SIZE)
    small = np.einsum("ij,njk,lk->nil", m, crop, m)
    return np.clip(small, 0.0, 1.0).reshape(len(images), SIZE * SIZE)


def find_file(directory: Path, stem: str) -> Path:
    """The IDX file `stem` in `directory`, plain or .gz (also the common 'stem.idx' spelling)."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise LearningInputError(f"MNIST file {stem} (or {stem}.gz) not found in {directory}")


def mnist_dataset(directory: str | Path) -> Dataset:
    """Load and encode MNIST from a directory holding the four standard IDX files."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LearningInputError(f"MNIST directory {directory} does not exist")
    arrays = {key: read_idx(find_file(directory, stem)) for key, stem in FILES.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if labels.ndim != 1 or len(labels) != len(images):
            raise LearningInputError(f"MNIST {part} labels do not match its images")
    train_x = inverted_times(preprocess(arrays["train_images"]))
    test_x = inverted_times(preprocess(arrays["test_images"]))
    train_y = arrays["train_labels"].astype(np.int64)
    test_y = arrays["test_labels"].astype(np.int64)
    n_train = min(N_TRAIN, len(train_y) * 5 // 6)
    return Dataset(
        "mnist",
        Split(train_x[:n_train], train_y[:n_train]),
        Split(train_x[n_train:], train_y[n_train:]),
        Split(test_x, test_y),
        10,
    )
