"""Figures of a training run: learning curves, Yin-Yang class map, label-neuron spike times."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from bss2emu.host.learning.backend import ForwardBackend  # noqa: E402
from bss2emu.host.learning.dataset import Split  # noqa: E402
from bss2emu.host.learning.encoding import EARLY, LATE, linear_times  # noqa: E402
from bss2emu.host.learning.loss import predictions  # noqa: E402
from bss2emu.host.learning.network import Network  # noqa: E402
from bss2emu.host.learning.yinyang import yinyang_classes  # noqa: E402
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator  # noqa: E402

CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c"]


def plot_learning_curves(history: list[dict], path: Path, subject: str = "") -> None:
    """Loss and train/validation accuracy per epoch; `subject` (data set, mode, chip) titles
    the figure."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["validation_loss"] for h in history], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log")
    ax_acc.plot(epochs, [100 * h["train_accuracy"] for h in history], label="train")
    ax_acc.plot(epochs, [100 * h["validation_accuracy"] for h in history], label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(max(0, ax_acc.get_ylim()[0]), 100))
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if subject:
        fig.suptitle(subject)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_yinyang_class_map(
    network: Network, backend: ForwardBackend, test: Split, path: Path, resolution: int = 150,
    replicas: int = 1, subject: str = "",
) -> None:
    """The trained network's class for every (x, y), the true class borders (black), and the
    test points on top (wrongly classified: x). `replicas`: input channels per coordinate."""
    axis = np.linspace(0.0, 1.0, resolution)
    xx, yy = np.meshgrid(axis, axis)
    xy = np.stack([xx.ravel(), yy.ravel()], axis=1)
    grid = np.repeat(linear_times(np.concatenate([xy, 1.0 - xy], axis=1)), replicas, axis=1)
    outputs = [backend.forward(network, grid[i:i + 2000])[-1] for i in range(0, len(grid), 2000)]
    classes = predictions(np.concatenate(outputs)).reshape(resolution, resolution)
    cmap = ListedColormap(["#bbbbbb"] + CLASS_COLOURS)  # -1 (no spike) is grey
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(classes + 1, origin="lower", extent=(0, 1, 0, 1), cmap=cmap, vmin=0, vmax=3,
              alpha=0.45, interpolation="nearest")
    inside = np.hypot(xy[:, 0] - 0.5, xy[:, 1] - 0.5) <= 0.5
    truth = np.where(inside, yinyang_classes(xy), -1).reshape(resolution, resolution)
    ax.contour(xx, yy, truth, levels=[-0.5, 0.5, 1.5], colors="k", linewidths=0.6,
               linestyles="solid")
    points = (test.times[:, [0, replicas]] - EARLY) / (LATE - EARLY)
    test_pred = predictions(backend.forward(network, test.times)[-1])
    right = test_pred == test.labels
    for label, colour in enumerate(CLASS_COLOURS):
        sel = test.labels == label
        ax.scatter(*points[sel & right].T, s=8, c=colour, edgecolors="k", linewidths=0.3)
        ax.scatter(*points[sel & ~right].T, s=25, c=colour, marker="x")
    ax.set(xlabel="x", ylabel="y", title=f"{subject + ': ' if subject else ''}class map, test "
           f"accuracy {100 * right.mean():.1f} %")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_label_times(out_times: np.ndarray, labels: np.ndarray, path: Path,
                     subject: str = "") -> None:
    """Histogram of label-neuron spike times (correct vs wrong class) and a raster of samples."""
    rows = np.arange(len(labels))
    correct = out_times[rows, labels]
    wrong_mask = np.ones_like(out_times, dtype=bool)
    wrong_mask[rows, labels] = False
    wrong = out_times[wrong_mask]
    finite = np.concatenate([correct, wrong])
    finite = finite[np.isfinite(finite)]
    fig, (ax_hist, ax_raster) = plt.subplots(1, 2, figsize=(10, 4))
    if finite.size:
        bins = np.linspace(finite.min(), np.percentile(finite, 99.5), 60)
        ax_hist.hist(correct[np.isfinite(correct)], bins, alpha=0.6, label="correct class")
        ax_hist.hist(wrong[np.isfinite(wrong)], bins, alpha=0.6, label="wrong classes")
    n_silent = int(np.sum(~np.isfinite(out_times)))
    ax_hist.set(xlabel="label spike time (tau_s)", ylabel="count",
                title=f"label neurons ({n_silent} silent)")
    ax_hist.legend()
    show = min(len(labels), 60)
    for k in range(out_times.shape[1]):
        t = out_times[:show, k]
        is_label = labels[:show] == k
        ax_raster.scatter(t[is_label], np.nonzero(is_label)[0], s=14, c="tab:green", marker="|")
        ax_raster.scatter(t[~is_label], np.nonzero(~is_label)[0], s=14, c="tab:red", marker="|")
    ax_raster.set(xlabel="spike time (tau_s)", ylabel="test sample",
                  title="raster: green = label neuron of the true class")
    if subject:
        fig.suptitle(subject)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
