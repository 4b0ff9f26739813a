"""A forward backend on a distorted substrate: wraps software or chip forward passes with the
distortions of `distortions.Distortions` (what each does in which mode: that module's
docstring), and gives the trainer its training and test backends for a distortion condition.
"""
from __future__ import annotations

import numpy as np
from bss2emu.host.learning.backend import ForwardBackend
from bss2emu.host.learning.distortions import (
    NEURON_DISTORTIONS,
    Distortions,
    FixedPattern,
    quantised,
)
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.network import LayerTimes, Network
from bss2emu.host.learning.spiketime import first_spike_times
from bss2emu.host.learning.spread_spiketime import first_spike_times_spread

# phases of a run whose jitter streams are reseeded separately
TRAIN, VALIDATION, TEST = 0, 1, 2


def check_distortions(backend: str, distortions: Distortions) -> None:
    """LearningInputError if `distortions` cannot apply to a backend of this name: neuron
    distortions exist in software only (a chip brings its own spread). Callers check before
    they open a chip, so a refused run costs no calibration."""
    if backend != "software":
        on = [name for name in NEURON_DISTORTIONS if getattr(distortions, name)]
        if on:
            raise LearningInputError(
                f"{', '.join(on)}: neuron distortions are modelled in software mode only; "
                f"a chip brings its own spread (its fixed-pattern noise, uncalibrated with "
                f"--calibration none)")


class DistortedBackend:
    """A forward backend whose substrate carries `distortions`.

    Fixed-pattern draws are made once per network size; the jitter stream restarts with
    `reseed(phase, epoch)`, which the trainer calls, so that a resumed run draws the same noise
    as an uninterrupted one."""

    def __init__(self, inner: ForwardBackend, distortions: Distortions) -> None:
        check_distortions(inner.name, distortions)
        self.inner = inner
        self.name = inner.name
        self.distortions = distortions
        self.rng = np.random.default_rng(0)
        self.reseed(TRAIN, 0)
        self._pattern: tuple[tuple[int, ...], FixedPattern] | None = None

    def reseed(self, phase: int, epoch: int) -> None:
        """Restart the jitter stream for a phase (TRAIN, VALIDATION, TEST) of an epoch."""
        self.rng = np.random.default_rng([self.distortions.seed, 2, phase, epoch])

    def pattern(self, network: Network) -> FixedPattern:
        """The fixed-pattern draws for this network's sizes (drawn once per size)."""
        sizes = tuple(network.sizes)
        if self._pattern is None or self._pattern[0] != sizes:
            self._pattern = (sizes, FixedPattern.draw(self.distortions, list(sizes)))
        return self._pattern[1]

    def dead_masks(self, network: Network) -> list[np.ndarray]:
        """Per layer, which neurons are dead (for the trainer's weight bumping)."""
        return self.pattern(network).dead

    def _jitter(self, times: np.ndarray) -> np.ndarray:
        sigma = self.distortions.jitter
        if not sigma:
            return times
        return np.abs(times + self.rng.normal(0.0, sigma, times.shape))

    def _weights(self, network: Network, pattern: FixedPattern) -> list[np.ndarray]:
        d = self.distortions
        if d.condition == "loop":
            limit = getattr(self.inner, "weight_limit", None)
            for bound in (d.weight_range, limit):
                if bound is not None:
                    for w in network.weights:
                        np.clip(w, -bound, bound, out=w)
        out = []
        for w, dead in zip(network.weights, pattern.dead, strict=True):
            w = w if d.weight_range is None else np.clip(w, -d.weight_range, d.weight_range)
            if d.weight_bits is not None:
                w = quantised(w, d.weight_bits, d.weight_range)
            w = w.copy()
            w[:, dead] = 0.0
            out.append(w)
        return out

    def forward(self, network: Network, inputs: np.ndarray) -> list[np.ndarray]:
        """Spike times of every layer on the distorted substrate, [inputs, hidden..., labels]
        (the jittered inputs first: they are what the network received)."""
        pattern = self.pattern(network)
        weights = self._weights(network, pattern)
        inputs = self._jitter(network.check_inputs(inputs))
        if self.inner.name != "software":
            shadow = Network(weights, network.bias_times, network.params,
                             network.backward_params)
            times = list(self.inner.forward(shadow, inputs))
            for layer, dead in enumerate(pattern.dead):
                times[layer + 1] = np.where(dead, np.inf, times[layer + 1])
            return times
        params = network.params
        spread = bool(self.distortions.tau_ratio_spread or self.distortions.threshold_spread)
        times = LayerTimes([inputs])
        for layer, w in enumerate(weights):
            layer_in = network.layer_input(times[-1], layer)
            if spread:
                ratio = params.tau_ratio * pattern.tau_factor[layer]
                c = params.c * pattern.threshold_factor[layer] * params.tau_ratio / ratio
                out, horizon = first_spike_times_spread(layer_in, w, params.tau_syn, ratio, c)
            else:
                out, horizon = first_spike_times(layer_in, w, params, with_causal=True)
            dead = pattern.dead[layer]
            times.append(self._jitter(np.where(dead, np.inf, out)))
            times.causal_until.append(np.where(dead, np.inf, horizon))
        return times


def distorted_backends(backend: ForwardBackend, distortions: Distortions | None
                       ) -> tuple[ForwardBackend, ForwardBackend]:
    """(backend of training and validation, backend of the test) under `distortions`."""
    if distortions is None or not distortions.active:
        return backend, backend
    distorted = DistortedBackend(backend, distortions)
    if distortions.condition == "loop":
        return distorted, distorted
    return backend, distorted
