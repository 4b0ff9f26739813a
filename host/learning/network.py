"""A feed-forward network of first-spike-time LIF layers: forward spike times, exact backward.

`forward` computes every layer's spike times; `backward` takes per-layer times from any source
(this model or a measurement, e.g. an emulated chip) and returns exact weight gradients under
the backward neuron model, so a hardware-in-the-loop trainer can reuse it unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.gradients import layer_backward
from bss2emu.host.learning.neuron import NeuronParams
from bss2emu.host.learning.spiketime import layer_first_spikes


class LayerTimes(list):
    """Per-layer spike times [inputs, hidden_1, ..., output] as `Network.forward` computed them,
    with `causal_until[l]`: per spike of layer l + 1, the time of the last input of the causal
    set the forward pass found (so that `backward` uses the same set), and `sums[l]`: that
    set's (a1, slope) (`LayerSpikes`) under `sums_model`, the neuron model and weights they were
    computed with; `backward` reuses them under that model and those weights only (no sums when
    the times were not computed by a network's own model, e.g. on a distorted substrate)."""

    def __init__(self, layers: list[np.ndarray]) -> None:
        super().__init__(layers)
        self.causal_until: list[np.ndarray] = []
        self.sums: list[tuple[np.ndarray, np.ndarray]] = []
        self.sums_model: tuple[NeuronParams, list[np.ndarray]] | None = None


@dataclass
class Gradients:
    """dL/dW per layer (bias rows last) and dL/dt of the network's input spike times."""

    weights: list[np.ndarray]
    inputs: np.ndarray


class Network:
    """Layers of LIF neurons; weights[l] has shape (n_prev + n_bias[l], n_l), bias rows last.

    `bias_times[l]` are the spike times of the bias inputs appended to layer l's input.
    `params` is the forward neuron model, `backward_params` (default: the same) the one the
    gradients assume.
    """

    def __init__(
        self,
        weights: list[np.ndarray],
        bias_times: list[list[float]],
        params: NeuronParams,
        backward_params: NeuronParams | None = None,
    ) -> None:
        if len(weights) != len(bias_times):
            raise ValueError("need one list of bias times per layer")
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.bias_times = [np.array(b, dtype=np.float64) for b in bias_times]
        self.params = params
        self.backward_params = backward_params or params
        for layer in range(1, len(self.weights)):
            expected = self.weights[layer - 1].shape[1] + len(self.bias_times[layer])
            if self.weights[layer].shape[0] != expected:
                raise ValueError(f"layer {layer} weights need {expected} rows")

    @classmethod
    def initialise(
        cls,
        sizes: list[int],
        bias_times: list[list[float]],
        init: list[tuple[float, float]],
        params: NeuronParams,
        rng: np.random.Generator,
    ) -> Network:
        """Weights ~ N(mean, std) per layer (bias rows included); sizes = [n_in, n_1, ...]."""
        weights = [
            rng.normal(mean, std, (sizes[i] + len(bias_times[i]), sizes[i + 1]))
            for i, (mean, std) in enumerate(init)
        ]
        return cls(weights, bias_times, params)

    @property
    def n_inputs(self) -> int:
        """Number of (non-bias) input channels."""
        return self.weights[0].shape[0] - len(self.bias_times[0])

    @property
    def sizes(self) -> list[int]:
        """[n_in, n_1, ..., n_out] without bias inputs."""
        return [self.n_inputs] + [w.shape[1] for w in self.weights]

    def check_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """Validate input spike times: (batch, n_inputs), no NaN, no -inf."""
        inputs = np.asarray(inputs, dtype=np.float64)
        if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
            raise LearningInputError(
                f"input spike times must have shape (batch, {self.n_inputs}), got {inputs.shape}"
            )
        if inputs.size and not inputs.min() > -np.inf:  # the minimum is NaN if any is NaN
            raise LearningInputError("input spike times contain NaN or -inf")
        return inputs

    def layer_input(self, times: np.ndarray, layer: int) -> np.ndarray:
        """Spike times feeding layer `layer`: the previous layer's times plus its bias spikes."""
        bias = self.bias_times[layer]
        if bias.size == 0:
            return times
        return np.concatenate([times, np.broadcast_to(bias, (len(times), bias.size))], axis=1)

    def forward(self, inputs: np.ndarray) -> LayerTimes:
        """Spike times of every layer: [inputs, hidden_1, ..., output], +inf for silent neurons,
        carrying each layer's causal horizons for `backward`."""
        times = LayerTimes([self.check_inputs(inputs)])
        for layer, w in enumerate(self.weights):
            spikes = layer_first_spikes(times[-1], w, self.params, self.bias_times[layer])
            times.append(spikes.times)
            times.causal_until.append(spikes.causal_until)
            times.sums.append((spikes.a1, spikes.slope))
        times.sums_model = (self.params, [w.copy() for w in self.weights])
        return times

    def _computes(self, model: tuple[NeuronParams, list[np.ndarray]] | None) -> bool:
        """Whether the backward model and weights are `model` (`LayerTimes.sums_model`)."""
        return (model is not None and model[0] == self.backward_params
                and all(np.array_equal(a, b) for a, b in zip(model[1], self.weights, strict=True)))

    def backward(
        self,
        layer_times: list[np.ndarray],
        output_error: np.ndarray,
        max_dw_norm: float | None = None,
    ) -> Gradients:
        """Gradients of a loss given dL/dT of the output layer, from per-layer spike times.

        `layer_times` is [inputs, hidden_1, ..., output] as returned by `forward` or measured;
        the weights gradients are summed over the batch. Times from `forward` carry the causal
        sets the forward pass used, and the backward pass uses exactly those (and, with the
        forward's neuron model, their sums, computed with the weights of that forward pass);
        for measured times each spike's causal set is the inputs at or before it.
        """
        if len(layer_times) != len(self.weights) + 1:
            raise ValueError(f"need {len(self.weights) + 1} arrays of layer times")
        error = np.asarray(output_error, dtype=np.float64)
        grads: list[np.ndarray] = [np.empty(0)] * len(self.weights)
        horizons = getattr(layer_times, "causal_until", None)
        sums = getattr(layer_times, "sums", None)
        if sums and not self._computes(layer_times.sums_model):
            sums = None
        for layer in reversed(range(len(self.weights))):
            grads[layer], in_error = layer_backward(
                layer_times[layer],
                self.weights[layer],
                layer_times[layer + 1],
                error,
                self.backward_params,
                max_dw_norm,
                horizons[layer] if horizons else None,
                sums[layer] if sums else None,
                self.bias_times[layer],
            )
            error = in_error[:, : layer_times[layer].shape[1]]
        return Gradients(grads, error)
