"""A NIR graph of the shape `nir_export` writes, read back into the software network.

Accepted: one Input, one Output, and a chain of Linear (or Affine with zero bias) -> CubaLIF
layers from the input to the output; a layer after the first may have one more Linear from the
input (its bias spikes, see nir_export). Anything else is rejected with a message naming the
first node or edge that does not fit.

The CubaLIF parameters are folded into the network's fixed neuron model (threshold 1, leak 0,
g_leak = tau_syn / tau_mem, time unit tau_syn): the membrane is rescaled per neuron to
u = (v - v_leak) / (v_threshold - v_leak), which multiplies the neuron's incoming weights by
g_leak R w_in / (tau_syn (v_threshold - v_leak)). This is exact, so a graph from `nir_export`
comes back with bit-identical weights. tau_syn must be the same everywhere (it is the time
unit) and tau_mem / tau_syn must be 1 or 2 (the two closed forms). v_reset is ignored: the
model's neurons spike at most once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nir
import numpy as np
from bss2emu.host.learning.checkpoint import TrainState
from bss2emu.host.learning.config import TrainConfig, default_config
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.neuron import TAU_RATIOS

RATIO_TOLERANCE = 1e-9
"""Relative tolerance of tau_mem / tau_syn against 1 or 2 and of tau_syn across neurons."""


class NIRGraphError(LearningInputError):
    """A file that is not a NIR graph, or a graph bss2emu's network cannot represent."""


@dataclass
class NIRNetwork:
    """What a NIR graph says about a network, in the model's units."""

    weights: list[np.ndarray]
    bias_times: list[list[float]]
    tau_ratio: int
    config: TrainConfig | None
    epoch: int


def read_graph(path: str | Path) -> nir.NIRGraph:
    """`nir.read` with one clear error for files that are not NIR graphs."""
    try:
        graph = nir.read(path)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise NIRGraphError(f"{path} is not a readable NIR graph ({detail})") from None
    if not isinstance(graph, nir.NIRGraph):
        raise NIRGraphError(f"{path} holds a single {type(graph).__name__} node, not a NIR graph")
    return graph


def _one(graph: nir.NIRGraph, kind: type) -> str:
    names = [name for name, node in graph.nodes.items() if isinstance(node, kind)]
    if len(names) != 1:
        raise NIRGraphError(f"the graph has {len(names)} {kind.__name__} nodes; bss2emu reads "
                            f"graphs with exactly one")
    return names[0]


def _weight(graph: nir.NIRGraph, name: str) -> np.ndarray:
    """The matrix of a Linear or zero-bias Affine node, (outputs, inputs)."""
    node = graph.nodes[name]
    if not isinstance(node, nir.Linear | nir.Affine):
        raise NIRGraphError(f"node {name!r} is a {type(node).__name__} where bss2emu expects "
                            "a Linear (weights) node in front of a CubaLIF")
    if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
        raise NIRGraphError(f"Affine node {name!r} has a non-zero bias (a constant current), "
                            "which the first-spike-time model cannot express; use bias spikes")
    weight = np.asarray(node.weight, np.float64)
    if weight.ndim != 2 or not np.all(np.isfinite(weight)):
        raise NIRGraphError(f"node {name!r} needs a finite 2-d weight matrix")
    return weight


def _neuron_scale(graph: nir.NIRGraph, name: str) -> tuple[np.ndarray, float, int]:
    """(per-neuron weight factor into the model's neuron, tau_syn, tau_mem / tau_syn)."""
    node = graph.nodes[name]
    if not isinstance(node, nir.CubaLIF):
        raise NIRGraphError(f"node {name!r} is a {type(node).__name__}; bss2emu's neurons are "
                            "current-based LIF neurons (CubaLIF)")
    values = {key: np.asarray(getattr(node, key), np.float64).ravel()
              for key in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "w_in")}
    if not all(np.all(np.isfinite(v)) for v in values.values()):
        raise NIRGraphError(f"CubaLIF {name!r} has parameters that are not finite")
    tau_syn = values["tau_syn"]
    if np.any(tau_syn <= 0) or np.ptp(tau_syn) > RATIO_TOLERANCE * tau_syn.max():
        raise NIRGraphError(f"CubaLIF {name!r}: tau_syn must be positive and the same for all "
                            "neurons (it is the model's time unit)")
    tau_ratio = _tau_ratio(name, values["tau_mem"] / tau_syn)
    gap = values["v_threshold"] - values["v_leak"]
    if np.any(gap <= 0):
        raise NIRGraphError(f"CubaLIF {name!r}: v_threshold must lie above v_leak")
    scale = values["r"] * values["w_in"] / (tau_ratio * tau_syn * gap)
    return scale, float(tau_syn[0]), tau_ratio


def _tau_ratio(name: str, ratios: np.ndarray) -> int:
    """The closed form (1 or 2) that tau_mem / tau_syn of every neuron of a layer matches."""
    for candidate in TAU_RATIOS:
        if np.all(np.abs(ratios - candidate) <= RATIO_TOLERANCE * candidate):
            return candidate
    raise NIRGraphError(f"CubaLIF {name!r}: tau_mem / tau_syn must be 1 or 2 for every neuron "
                        "(the two closed forms of the model)")


def _layers(graph: nir.NIRGraph, source: str, sink: str) -> list[tuple[str, str, str | None]]:
    """(main weights, neurons, bias weights or None) per layer, first layer first."""
    preds: dict[str, list[str]] = {name: [] for name in graph.nodes}
    succs: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for a, b in graph.edges:
        preds[b].append(a)
        succs[a].append(b)
    if len(preds[sink]) != 1:
        raise NIRGraphError(f"the output node {sink!r} needs exactly one incoming edge")
    layers: list[tuple[str, str, str | None]] = []
    neurons = preds[sink][0]
    while True:
        weights = preds[neurons]
        for w in weights:
            if len(preds[w]) != 1 or succs[w] != [neurons]:
                raise NIRGraphError(f"node {w!r} must have one input and feed only {neurons!r}")
        from_input = [w for w in weights if preds[w][0] == source]
        main = [w for w in weights if preds[w][0] != source]
        if len(weights) == 1 and from_input:  # the first layer
            layers.append((from_input[0], neurons, None))
            break
        if len(main) != 1 or len(from_input) > 1:
            raise NIRGraphError(f"node {neurons!r} has inputs {weights}; bss2emu expects one "
                                "Linear from the previous layer and at most one from the input")
        layers.append((main[0], neurons, from_input[0] if from_input else None))
        neurons = preds[main[0]][0]
        if neurons in (name for _, name, _ in layers):
            raise NIRGraphError(f"the graph has a cycle through {neurons!r}; bss2emu reads "
                                "feed-forward graphs")
    used = {source, sink} | {n for layer in layers for n in layer if n is not None}
    extra = sorted(set(graph.nodes) - used)
    if extra:
        raise NIRGraphError(f"nodes {extra} are not on the input-to-output chain bss2emu reads")
    for name in (neurons for _, neurons, _ in layers):
        if len(succs[name]) != 1:
            raise NIRGraphError(f"node {name!r} feeds {succs[name]}; bss2emu reads a chain of "
                                "layers in which each layer feeds only the next")
    return layers[::-1]


def _bias_channels(graph: nir.NIRGraph, source: str, n_layers: int
                   ) -> tuple[int, list[np.ndarray], list[list[float]]]:
    """(data channels, input channels of each layer's bias spikes, their times)."""
    node = graph.nodes[source]
    n_channels = int(np.prod(node.output_type["output"]))
    meta = node.metadata or {}
    if "bias_spike_times" not in meta:
        return n_channels, [np.zeros(0, np.int64)] * n_layers, [[] for _ in range(n_layers)]
    try:
        n_data = int(meta["data_channels"])
        times = np.asarray(meta["bias_spike_times"], np.float64).ravel()
        layers = np.asarray(meta["bias_layers"], np.int64).ravel()
    except (KeyError, TypeError, ValueError):
        raise NIRGraphError(f"input node {source!r}: bias metadata needs data_channels, "
                            "bias_spike_times and bias_layers") from None
    if (n_data + times.size != n_channels or layers.size != times.size
            or np.any((layers < 0) | (layers >= n_layers)) or not np.all(np.isfinite(times))):
        raise NIRGraphError(f"input node {source!r}: its bias metadata does not match its "
                            f"{n_channels} channels and the graph's {n_layers} layers")
    channels = [n_data + np.flatnonzero(layers == layer) for layer in range(n_layers)]
    return n_data, channels, [times[c - n_data].tolist() for c in channels]


def _config(graph: nir.NIRGraph) -> tuple[TrainConfig | None, int]:
    meta = graph.metadata or {}
    if "bss2emu_config" not in meta:
        return None, 0
    try:
        config = TrainConfig.from_dict(json.loads(str(meta["bss2emu_config"])))
        return config, int(meta.get("epoch", 0))
    except (ValueError, TypeError) as err:
        raise NIRGraphError(f"the graph's bss2emu_config metadata is unreadable ({err})") from None


def network_from_graph(graph: nir.NIRGraph) -> NIRNetwork:
    """The weights (model units, bias rows last), bias times and tau ratio of a graph."""
    source, sink = _one(graph, nir.Input), _one(graph, nir.Output)
    layers = _layers(graph, source, sink)
    n_data, bias_channels, bias_times = _bias_channels(graph, source, len(layers))
    n_channels = n_data + sum(c.size for c in bias_channels)
    weights: list[np.ndarray] = []
    time_unit, tau_ratio = None, None
    n_prev = n_data
    for layer, (main_name, neurons, bias_name) in enumerate(layers):
        scale, tau_syn, ratio = _neuron_scale(graph, neurons)
        main = _weight(graph, main_name)
        n_out = scale.size
        expected = n_channels if layer == 0 else n_prev
        if main.shape != (n_out, expected):
            raise NIRGraphError(f"node {main_name!r} has weights {main.shape}, expected "
                                f"({n_out}, {expected})")
        from_input = main if layer == 0 else (
            _weight(graph, bias_name) if bias_name else np.zeros((n_out, n_channels)))
        if from_input.shape != (n_out, n_channels):
            raise NIRGraphError(f"node {bias_name!r} has weights {from_input.shape}, expected "
                                f"({n_out}, {n_channels})")
        own = bias_channels[layer]
        others = np.setdiff1d(np.arange(0 if layer else n_data, n_channels), own)
        if np.any(from_input[:, others] != 0):
            raise NIRGraphError(f"the input weights into {neurons!r} use channels that are not "
                                "its own bias spikes (no skip connections in this model)")
        rows = main[:, :n_data].T if layer == 0 else main.T
        w = np.concatenate([rows, from_input[:, own].T], axis=0) * scale[None, :]
        weights.append(w)
        if tau_ratio is None:
            time_unit, tau_ratio = tau_syn, ratio
        elif ratio != tau_ratio:
            raise NIRGraphError(f"CubaLIF {neurons!r} has tau_mem / tau_syn {ratio}, the layers "
                                f"before {tau_ratio}; bss2emu needs one ratio throughout")
        elif abs(tau_syn - time_unit) > RATIO_TOLERANCE * time_unit:
            raise NIRGraphError(f"CubaLIF {neurons!r} has tau_syn {tau_syn:g}, the layers before "
                                f"{time_unit:g}; bss2emu needs one tau_syn throughout")
        n_prev = n_out
    config, epoch = _config(graph)
    return NIRNetwork(weights, [[t / time_unit for t in b] for b in bias_times], tau_ratio,
                      config, epoch)


def checkpoint_state(net: NIRNetwork, dataset: str | None,
                     base: TrainConfig | None = None) -> TrainState:
    """A checkpoint (no optimiser history) that `bss2emu evaluate` and `train --resume` accept.

    The configuration is the graph's own (bss2emu_config metadata) when it has one, otherwise
    `base` or the paper's defaults for `dataset`; its layer sizes, bias times and tau ratio
    always follow the graph.
    """
    config = net.config or base
    if config is None:
        if dataset is None:
            raise NIRGraphError("the graph carries no bss2emu configuration: name the data set "
                                "it classifies with --dataset")
        config = default_config(dataset, net.tau_ratio)
    if dataset is not None and dataset != config.dataset:
        raise NIRGraphError(f"--dataset {dataset} conflicts with the graph's {config.dataset}")
    config.hidden = [w.shape[1] for w in net.weights[:-1]]
    config.bias_times = net.bias_times
    config.tau_ratio = net.tau_ratio
    for name in ("weight_init", "max_missing"):
        values = getattr(config, name)
        if len(values) != len(net.weights):
            setattr(config, name, [values[min(i, len(values) - 1)]
                                   for i in range(len(net.weights))])
    train_seq = np.random.SeedSequence(config.seed).spawn(2)[1]
    return TrainState(
        config=config, epoch=net.epoch, weights=net.weights,
        adam_m=[np.zeros_like(w) for w in net.weights],
        adam_v=[np.zeros_like(w) for w in net.weights], adam_steps=0,
        bump_layer=None, bump_value=config.bump_value,
        rng_state=np.random.default_rng(train_seq).bit_generator.state, history=[],
    )


def check_fits(state: TrainState, n_inputs: int, n_classes: int) -> None:
    """Refuse a network whose input or label layer does not match its data set (inputs counted
    after the configured replication), before a checkpoint `evaluate` would refuse is written."""
    config = state.config
    width = state.weights[0].shape[0] - len(config.bias_times[0])
    labels = state.weights[-1].shape[1]
    if width != n_inputs * config.input_replicas or labels != n_classes:
        raise NIRGraphError(
            f"the graph has {width} data inputs and {labels} outputs; {config.dataset} needs "
            f"{n_inputs * config.input_replicas} inputs ({n_inputs} x {config.input_replicas} "
            f"replicas) and {n_classes} outputs")
