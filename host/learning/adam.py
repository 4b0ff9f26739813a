"""Adam optimiser (PyTorch's defaults and update rule) and the step learning-rate schedule."""
from __future__ import annotations

import numpy as np


def step_learning_rate(base: float, epoch: int, step: int, gamma: float) -> float:
    """StepLR: base * gamma ** (epoch // step), epochs counted from 0."""
    return base * gamma ** (epoch // step)


class Adam:
    """Adam with per-parameter first/second moment estimates and bias correction."""

    def __init__(self, shapes: list[tuple[int, ...]], betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.betas = betas
        self.eps = eps
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.steps = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """Update `params` in place against the gradients."""
        self.steps += 1
        b1, b2 = self.betas
        corr1 = 1.0 - b1 ** self.steps
        corr2 = 1.0 - b2 ** self.steps
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p -= (lr / corr1) * m / (np.sqrt(v) / np.sqrt(corr2) + self.eps)
