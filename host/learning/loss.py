"""Cross-entropy over negative label-neuron spike times plus the early-spike regulariser."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# loss of a sample whose label neuron stays silent (constant, no gradient), as in the paper
SILENT_LABEL_LOSS = 100.0


@dataclass(frozen=True)
class SpikeTimeLoss:
    """L = -log softmax(-t / (xi tau_s))[label] + alpha exp(t_label / (beta tau_s)), batch mean."""

    xi: float = 0.2
    alpha: float = 0.005
    beta: float = 1.0
    tau_syn: float = 1.0

    def __call__(self, out_times: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, dL/dT of shape (batch, n_out))."""
        batch = len(labels)
        rows = np.arange(batch)
        t_label = out_times[rows, labels]
        fires = np.isfinite(t_label)
        # rows with a silent label neuron are zeroed (their loss is constant), others are
        # shifted by their earliest spike for a stable softmax
        times = np.where(fires[:, None], out_times, 0.0)
        logits = -(times - times.min(axis=1, keepdims=True)) / (self.xi * self.tau_syn)
        expl = np.exp(logits)
        norm = expl.sum(axis=1)
        prob = expl / norm[:, None]
        reg = np.exp(np.where(fires, t_label, 0.0) / (self.beta * self.tau_syn))
        per_sample = np.where(
            fires, -logits[rows, labels] + np.log(norm) + self.alpha * reg, SILENT_LABEL_LOSS
        )
        grad = -prob / (self.xi * self.tau_syn)
        grad[rows, labels] += 1.0 / (self.xi * self.tau_syn) + self.alpha * reg / (
            self.beta * self.tau_syn
        )
        grad[~fires] = 0.0
        return float(per_sample.mean()), grad / batch


def predictions(out_times: np.ndarray) -> np.ndarray:
    """Index of the earliest label neuron; -1 (always wrong) where none fires or a time is NaN
    (NaN counts as earliest, as in the paper's evaluation)."""
    valid = np.isfinite(out_times).any(axis=1) & ~np.isnan(out_times).any(axis=1)
    earliest = np.argmin(np.where(np.isnan(out_times), np.inf, out_times), axis=1)
    return np.where(valid, earliest, -1)
