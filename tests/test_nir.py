"""NIR interchange (docs/nir.md): a graph from `bss2emu export`, read back with `nir.read` and run
by the time-stepped simulation of NIR's documented node equations below, classifies the Yin-Yang
test samples as the software network does; export -> import-nir -> evaluate changes nothing;
files that are not NIR graphs, and graphs of other shapes, give one line and exit status 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest
from bss2emu.host.learning.checkpoint import load_checkpoint
from bss2emu.host.learning.loss import predictions
from bss2emu.host.learning.network import Network
from bss2emu.host.learning.yinyang_data import yinyang_dataset

DT = 1e-3
"""Time step of the simulation (model units, tau_syn = 1). Input spikes move to the nearest
step and forward Euler errs by O(dt) on the membrane, so simulated spike times differ from the
closed forms by a few dt; only samples whose two earliest label spikes lie that close can flip."""
T_END = 4.0
"""Simulated time per sample: the paper's integrator window for Yin-Yang (sim_time 4)."""
SAMPLES = 300


def bss2emu(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bss2emu", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, Path]:
    """Checkpoints of two-epoch software runs with tau_m = tau_s and tau_m = 2 tau_s."""
    d = tmp_path_factory.mktemp("nir")
    out = {}
    for ratio in (1, 2):
        proc = bss2emu("train", "--epochs", "2", "--tau-ratio", str(ratio), "--no-progress",
                       "--out", f"run{ratio}", cwd=d)
        assert proc.returncode == 0, proc.stderr
        out[ratio] = d / f"run{ratio}" / "checkpoint.npz"
    return out


def topological_order(graph: nir.NIRGraph) -> tuple[list[str], dict[str, list[str]]]:
    preds: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for a, b in graph.edges:
        preds[b].append(a)
    order: list[str] = []
    while len(order) < len(graph.nodes):
        order += [n for n in graph.nodes
                  if n not in order and all(p in order for p in preds[n])]
    return order, preds


def simulate(graph: nir.NIRGraph, data_times: np.ndarray) -> np.ndarray:
    """First spike time of every output channel, by stepping NIR's equations with dt = DT:

        Input: the data channels, then the bias channels spiking at the input node's
               metadata `bias_spike_times`;  Linear: y = W x;  several edges into a node: summed;
        CubaLIF: tau_syn dI/dt = -I + w_in S,  tau_mem dv/dt = (v_leak - v) + R I,
                 spike when v > v_threshold, then v = v_reset; a spike (Dirac, area 1) raises I
                 by w_in W / tau_syn; a neuron spikes at most once (its
                 `max_spikes_per_neuron` metadata);  Output: first spike of each channel.
    """
    order, preds = topological_order(graph)
    source = graph.nodes["input"].metadata
    bias = np.asarray(source["bias_spike_times"], np.float64)
    times = np.concatenate([data_times, np.broadcast_to(bias, (len(data_times), bias.size))],
                           axis=1)
    spike_step = np.round(times / DT)
    batch = len(data_times)
    state = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.CubaLIF):
            shape = (batch, node.v_leak.size)
            state[name] = (np.zeros(shape), np.broadcast_to(node.v_leak, shape).copy(),
                           np.zeros(shape, bool), int(node.metadata["max_spikes_per_neuron"]))
    first = np.full((batch, graph.nodes["output"].output_type["output"][0]), np.inf)
    for step in range(int(round(T_END / DT)) + 1):
        signal = {}
        for name in order:
            node = graph.nodes[name]
            if isinstance(node, nir.Input):
                signal[name] = (spike_step == step).astype(np.float64)
                continue
            x = sum(signal[p] for p in preds[name])
            if isinstance(node, nir.Linear):
                signal[name] = x @ node.weight.T
            elif isinstance(node, nir.CubaLIF):
                current, v, fired, max_spikes = state[name]
                current += -DT * current / node.tau_syn + node.w_in * x / node.tau_syn
                v += DT * ((node.v_leak - v) + node.r * current) / node.tau_mem
                spikes = v > node.v_threshold
                assert max_spikes == 1
                spikes &= ~fired
                fired |= spikes
                v[:] = np.where(spikes, node.v_reset, v)
                signal[name] = spikes.astype(np.float64)
            else:
                assert isinstance(node, nir.Output)
                first = np.where((x > 0) & np.isinf(first), step * DT, first)
        if np.isfinite(first).all():
            break
    return first


@pytest.mark.parametrize("ratio", (1, 2))
def test_exported_graph_classifies_like_the_network(runs, tmp_path, ratio):
    proc = bss2emu("export", str(runs[ratio]), "--format", "nir", "net.nir", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    graph = nir.read(tmp_path / "net.nir")
    assert graph.nodes["output"].metadata["readout"] == "first_spike"
    assert isinstance(graph.nodes["lif_0"], nir.CubaLIF)
    state = load_checkpoint(runs[ratio])
    network = Network(state.weights, state.config.bias_times, state.config.neuron_params())
    test = yinyang_dataset().test
    reference = network.forward(test.times[:SAMPLES])[-1]
    simulated = simulate(graph, test.times[:SAMPLES])
    agree = predictions(simulated) == predictions(reference)
    assert agree.mean() >= 0.98
    both = np.isfinite(simulated) & np.isfinite(reference)
    assert np.max(np.abs(simulated - reference)[both]) < 10 * DT
    # a sample can only flip when its two earliest label spikes are within the step error
    earliest_two = np.sort(reference[~agree], axis=1)[:, :2]
    assert np.all(earliest_two[:, 1] - earliest_two[:, 0] < 10 * DT)


@pytest.mark.parametrize("ratio", (1, 2))
def test_export_import_evaluate_is_identical(runs, tmp_path, ratio):
    assert bss2emu("export", str(runs[ratio]), "net.nir", cwd=tmp_path).returncode == 0
    proc = bss2emu("import-nir", "net.nir", "--out", "imported.npz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    original, imported = load_checkpoint(runs[ratio]), load_checkpoint(tmp_path / "imported.npz")
    for a, b in zip(original.weights, imported.weights, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert imported.config.to_dict() == original.config.to_dict()
    test = yinyang_dataset().test
    outputs = [Network(s.weights, s.config.bias_times, s.config.neuron_params())
               .forward(test.times)[-1] for s in (original, imported)]
    assert np.array_equal(predictions(outputs[0]), predictions(outputs[1]))
    lines = [bss2emu("evaluate", str(path), cwd=tmp_path).stdout
             for path in (runs[ratio], tmp_path / "imported.npz")]
    assert lines[0] == lines[1] and "test accuracy" in lines[0]


def write_graph(path: Path, neuron: nir.NIRNode, weight: nir.NIRNode | None = None,
                n_in: int = 4) -> None:
    """input -> weights -> neuron(3) -> output: a one-layer graph without bss2emu metadata."""
    weight = weight or nir.Linear(weight=np.ones((3, n_in)))
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])), "w": weight, "n": neuron,
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "w"), ("w", "n"), ("n", "output")])
    nir.write(path, graph)


def cuba(tau_mem: float = 1.0) -> nir.CubaLIF:
    ones = np.ones(3)
    return nir.CubaLIF(tau_syn=ones, tau_mem=tau_mem * ones, r=ones, v_leak=0 * ones,
                       v_threshold=ones)


BAD = {
    "notes.txt": (lambda p: p.write_text("not a graph\n"), [], "not a readable NIR graph"),
    "lif.nir": (lambda p: write_graph(p, nir.LIF(tau=np.ones(3), r=np.ones(3),
                                                 v_leak=np.zeros(3), v_threshold=np.ones(3))),
                ["--dataset", "yinyang"], "current-based LIF neurons (CubaLIF)"),
    "ratio3.nir": (lambda p: write_graph(p, cuba(3.0)), ["--dataset", "yinyang"],
                   "tau_mem / tau_syn must be 1 or 2"),
    "affine.nir": (lambda p: write_graph(p, cuba(), nir.Affine(weight=np.ones((3, 4)),
                                                               bias=np.ones(3))),
                   ["--dataset", "yinyang"], "non-zero bias"),
    "nodataset.nir": (lambda p: write_graph(p, cuba()), [], "--dataset"),
    "width.nir": (lambda p: write_graph(p, cuba()), ["--dataset", "digits"],
                  "digits needs 64 inputs"),
    # 20 inputs: the chip configuration's five replicas of the four Yin-Yang inputs
    "nohidden.nir": (lambda p: write_graph(p, cuba(), n_in=20),
                     ["--dataset", "yinyang", "--mode", "chip"], "one hidden layer"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_gives_one_line_and_exit_2(tmp_path, name):
    make, options, message = BAD[name]
    make(tmp_path / name)
    proc = bss2emu("import-nir", name, *options, cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert message in lines[0] and lines[0].startswith("bss2emu import-nir: error: ")
    assert not (tmp_path / Path(name).with_suffix(".npz")).exists()


def test_software_graph_is_refused_by_the_chip_mapping(runs, tmp_path):
    assert bss2emu("export", str(runs[1]), "net.nir", cwd=tmp_path).returncode == 0
    proc = bss2emu("import-nir", "net.nir", "--mode", "chip", cwd=tmp_path)
    assert proc.returncode == 2 and "bias spikes into its label layer" in proc.stderr


def test_chip_network_maps_with_its_report(tmp_path):
    proc = bss2emu("train", "--chip-network", "--epochs", "1", "--no-progress", "--out", "run",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert bss2emu("export", "run/checkpoint.npz", "chip.nir", cwd=tmp_path).returncode == 0
    proc = bss2emu("import-nir", "chip.nir", "--mode", "chip", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "chip mapping: 123 neurons" in proc.stdout and "weights clipped" in proc.stdout
    imported = load_checkpoint(tmp_path / "chip.npz")
    assert imported.config.input_replicas == 5 and imported.config.bias_times[1] == []
