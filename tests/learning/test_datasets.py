"""Data sets: Yin-Yang bit-exact to the published arrays, digits split, MNIST from IDX files."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from bss2emu.host.learning.dataset import Split, load_dataset
from bss2emu.host.learning.encoding import inverted_times, linear_times
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.idx import read_idx
from bss2emu.host.learning.mnist import mnist_dataset, resize_matrix
from bss2emu.host.learning.yinyang import generate_yinyang, yinyang_classes

# SHA-256 of the published arrays' bytes (/work/shared/data/yinyang/README.md)
PUBLISHED = {
    (5000, 42): ("f5a4054d56f2a058f8250fba7ff9720458e1625db7af78a295e45701745b2228",
                 "534d12acda4f9dbc7208a99d3646115a4aa7d74ca31d6d23f822079a568559b7"),
    (1000, 41): ("5eac358bdf2122763dce3703a79f3005e56e46a4db25ec329a07333d0f7b8093",
                 "5a4c2f605814a620f514c1091f10441ce562cd81e902ce701b3cf94ae7576f7d"),
    (1000, 40): ("7bab3ed668ed4992679cff6339fe21bfe7d0c921ddc6187eaa3bc6ef34b888d7",
                 "daa0f8f4e3b37b1ddec2afee22f09afb768f0e575f3f568e7469f1ebc6af73c1"),
}


@pytest.mark.parametrize("size_seed", list(PUBLISHED), ids=lambda s: f"{s[0]}-seed{s[1]}")
def test_yinyang_generator_is_bit_exact_to_published_data(size_seed) -> None:
    samples, labels = generate_yinyang(*size_seed)
    assert samples.dtype == np.float64 and samples.shape == (size_seed[0], 4)
    assert labels.dtype == np.int64
    assert hashlib.sha256(samples.tobytes()).hexdigest() == PUBLISHED[size_seed][0]
    assert hashlib.sha256(labels.tobytes()).hexdigest() == PUBLISHED[size_seed][1]


def test_yinyang_dataset_encoding_and_class_rule() -> None:
    data = load_dataset("yinyang")
    assert (len(data.train), len(data.validation), len(data.test)) == (5000, 1000, 1000)
    assert np.bincount(data.train.labels).tolist() == [1681, 1702, 1617]
    t = data.test.times
    assert t.min() >= 0.15 and t.max() <= 2.0
    xy = (t[:, :2] - 0.15) / 1.85
    np.testing.assert_allclose(t[:, 2:], linear_times(1.0 - xy))
    np.testing.assert_array_equal(yinyang_classes(xy), data.test.labels)


def test_digits_split_is_seeded_disjoint_and_encoded() -> None:
    a, b, c = load_dataset("digits", seed=0), load_dataset("digits", seed=0), load_dataset(
        "digits", seed=1)
    assert (len(a.train), len(a.validation), len(a.test)) == (1197, 300, 300)
    assert a.n_inputs == 64 and a.n_classes == 10
    np.testing.assert_array_equal(a.test.times, b.test.times)
    assert not np.array_equal(a.test.labels, c.test.labels)
    rows = {r.tobytes() for r in a.train.times}
    assert sum(r.tobytes() in rows for r in a.test.times) < 5  # only duplicate images overlap
    finite = a.train.times[np.isfinite(a.train.times)]
    assert finite.min() == pytest.approx(0.15) and finite.max() < 2.0
    assert np.isinf(a.train.times).any()


def test_inverted_encoding() -> None:
    t = inverted_times(np.array([0.0, 1.0, 0.5]))
    assert np.isinf(t[0]) and t[1] == pytest.approx(0.15) and t[2] == pytest.approx(1.075)


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    if compress:
        raw = gzip.compress(raw)
    path.write_bytes(raw)


def write_mnist(directory: Path, n_train: int = 12, n_test: int = 6, size: int = 28,
                compress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = np.zeros((n_train + n_test, size, size), dtype=np.uint8)
    images[:, 8:20, 10:18] = rng.integers(1, 256, (n_train + n_test, 12, 8))
    labels = rng.integers(0, 10, n_train + n_test).astype(np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(directory / f"train-images-idx3-ubyte{suffix}", images[:n_train], compress)
    write_idx(directory / f"train-labels-idx1-ubyte{suffix}", labels[:n_train], compress)
    write_idx(directory / f"t10k-images-idx3-ubyte{suffix}", images[n_train:], compress)
    write_idx(directory / f"t10k-labels-idx1-ubyte{suffix}", labels[n_train:], compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_from_idx_files(tmp_path: Path, compress: bool) -> None:
    images, labels = write_mnist(tmp_path, compress=compress)
    data = mnist_dataset(tmp_path)
    assert data.n_inputs == 256 and data.n_classes == 10
    assert (len(data.train), len(data.validation), len(data.test)) == (10, 2, 6)
    np.testing.assert_array_equal(data.test.labels, labels[12:])
    # the border outside the drawn block is background: silent
    first = data.train.times[0].reshape(16, 16)
    assert np.isinf(first[0]).all() and np.isinf(first[:, 0]).all()
    assert np.isfinite(first[8, 8])
    assert np.isfinite(data.train.times).any(axis=1).all()


def test_mnist_resize_of_constant_image_is_exact(tmp_path: Path) -> None:
    m = resize_matrix(24, 16)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    write_mnist(tmp_path)
    full = np.full((3, 28, 28), 255, dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", full)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, 3]))
    np.testing.assert_allclose(mnist_dataset(tmp_path).test.times, 0.15)


def test_idx_errors(tmp_path: Path) -> None:
    with pytest.raises(LearningInputError, match="not found"):
        mnist_dataset(tmp_path)
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(LearningInputError, match="t10k-labels-idx1-ubyte"):
        mnist_dataset(tmp_path)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(LearningInputError, match="magic"):
        read_idx(bad)
    write_idx(bad, np.zeros(5))
    bad.write_bytes(bad.read_bytes()[:-1])
    with pytest.raises(LearningInputError, match="size"):
        read_idx(bad)
    with pytest.raises(LearningInputError, match="does not exist"):
        mnist_dataset(tmp_path / "nowhere")


def test_mnist_rejects_wrong_image_size(tmp_path: Path) -> None:
    write_mnist(tmp_path, size=20)
    with pytest.raises(LearningInputError, match=r"\(n, 28, 28\)"):
        mnist_dataset(tmp_path)


def test_split_rejects_nan_and_bad_shapes() -> None:
    with pytest.raises(LearningInputError, match="NaN"):
        Split(np.array([[0.1, np.nan]]), np.array([0]))
    with pytest.raises(LearningInputError, match="shape|labels"):
        Split(np.zeros((3, 2)), np.zeros(2, dtype=int))


def test_unknown_dataset() -> None:
    with pytest.raises(LearningInputError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")
