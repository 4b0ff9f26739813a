"""A trained first-spike-time network as a NIR graph (the `nir` package's Input, Linear,
CubaLIF and Output nodes), so that other neuromorphic frameworks can read it.

Layout (docs/nir.md has the reasoning):

* node `input`: the data channels followed by one channel per bias spike; the bias channels
  spike once per sample at the times in the node's metadata (`bias_spike_times`, and
  `bias_layers` = which layer each bias channel feeds);
* per layer l: `linear_l` (the weights from the previous layer; for l = 0 it reads every input
  channel, its own bias channels included) into `lif_l`; a later layer with bias spikes has a
  second Linear, `bias_l`, from `input` into `lif_l` (NIR sums the inputs of a node);
* `lif_l` is a CubaLIF in the model's time unit (tau_syn = 1): tau_mem = tau_ratio, R = 1/g_leak,
  v_leak = leak, v_threshold = threshold, v_reset = leak, w_in = tau_syn, so that one input spike
  through weight w raises the synaptic current by w under NIR's equation
  tau_syn dI/dt = -I + w_in S;
* what NIR cannot say is metadata: each neuron spikes at most once (`max_spikes_per_neuron` on
  every CubaLIF), the class is the label neuron that spikes first (`readout` on `output`), the
  training configuration (graph metadata `bss2emu_config`) and the chip's time unit.
"""
from __future__ import annotations

import json
from pathlib import Path

import nir
import numpy as np
from bss2emu.host.chip.neurons import TAU_US
from bss2emu.host.learning.checkpoint import TrainState

from bss2emu import __version__

INPUT = "input"
OUTPUT = "output"
FIRST_SPIKE_READOUT = "first_spike"
TIME_UNIT = "tau_syn"
"""Every time in an exported graph (time constants, bias spike times, input spike times) is in
units of the synaptic time constant, the unit of the paper's closed forms."""


def linear_name(layer: int) -> str:
    """Node of the weights from layer `layer - 1` (or the input) into layer `layer`."""
    return f"linear_{layer}"


def bias_name(layer: int) -> str:
    """Node of the bias-spike weights into a later layer `layer` >= 1."""
    return f"bias_{layer}"


def lif_name(layer: int) -> str:
    """Node of the neurons of layer `layer` (0 = first hidden layer)."""
    return f"lif_{layer}"


def graph_from_state(state: TrainState) -> nir.NIRGraph:
    """The NIR graph of a checkpoint's network (weights and neuron model of its configuration)."""
    config = state.config
    params = config.neuron_params()
    bias_times = [np.asarray(b, np.float64) for b in config.bias_times]
    n_data = state.weights[0].shape[0] - bias_times[0].size
    n_channels = n_data + sum(b.size for b in bias_times)
    # first input channel of each layer's bias spikes
    bias_start = n_data + np.concatenate([[0], np.cumsum([b.size for b in bias_times])])
    bias_layers = np.concatenate(
        [np.full(b.size, layer, np.int64) for layer, b in enumerate(bias_times)])
    nodes: dict[str, nir.NIRNode] = {
        INPUT: nir.Input(input_type=np.array([n_channels]), metadata={
            "data_channels": n_data,
            "bias_spike_times": np.concatenate(bias_times),
            "bias_layers": bias_layers,
            "time_unit": TIME_UNIT,
            "meaning": "first-spike times per sample; channels from data_channels on are bias "
                       "channels, each spiking once at its bias_spike_times into layer "
                       "bias_layers",
        }),
    }
    edges: list[tuple[str, str]] = []
    previous = INPUT
    for layer, w in enumerate(state.weights):
        n_prev = w.shape[0] - bias_times[layer].size
        n_out = w.shape[1]
        from_bias = np.zeros((n_out, n_channels))
        from_bias[:, bias_start[layer]:bias_start[layer + 1]] = w[n_prev:].T
        if layer == 0:
            main = from_bias
            main[:, :n_data] = w[:n_data].T
        else:
            main = np.ascontiguousarray(w[:n_prev].T)
            if bias_times[layer].size:
                nodes[bias_name(layer)] = nir.Linear(weight=from_bias)
                edges += [(INPUT, bias_name(layer)), (bias_name(layer), lif_name(layer))]
        nodes[linear_name(layer)] = nir.Linear(weight=main)
        ones = np.ones(n_out)
        nodes[lif_name(layer)] = nir.CubaLIF(
            tau_syn=params.tau_syn * ones, tau_mem=params.tau_mem * ones,
            r=ones / params.g_leak, v_leak=params.leak * ones,
            v_threshold=params.threshold * ones, v_reset=params.leak * ones,
            w_in=params.tau_syn * ones,
            metadata={"max_spikes_per_neuron": 1},
        )
        edges += [(previous, linear_name(layer)), (linear_name(layer), lif_name(layer))]
        previous = lif_name(layer)
    n_labels = state.weights[-1].shape[1]
    nodes[OUTPUT] = nir.Output(output_type=np.array([n_labels]), metadata={
        "readout": FIRST_SPIKE_READOUT,
        "meaning": "the class is the label neuron that spikes first; a sample without any label "
                   "spike is classified wrong",
    })
    edges.append((previous, OUTPUT))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={
        "producer": f"bss2emu {__version__}",
        "model": "first-spike-time network (Goeltz, Kriener et al. 2021): every neuron spikes at "
                 "most once, no reset is ever used",
        "time_unit": TIME_UNIT,
        "bss2_time_unit_us": TAU_US,
        "bss2emu_config": json.dumps(config.to_dict()),
        "epoch": state.epoch,
    })


def export_nir(state: TrainState, path: str | Path) -> nir.NIRGraph:
    """Write a checkpoint's network to `path` as a NIR (HDF5) file; returns the graph."""
    graph = graph_from_state(state)
    nir.write(path, graph)
    return graph
