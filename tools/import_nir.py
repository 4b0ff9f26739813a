"""`bss2emu import-nir`: a NIR graph as a checkpoint for the software network or the chip."""
from __future__ import annotations

import argparse
from pathlib import Path

from bss2emu.host.learning.checkpoint import TrainState, save_checkpoint
from bss2emu.host.learning.dataset import DATASETS, load_dataset
from bss2emu.tools import paths

HELP = "read a NIR graph (input, Linear, CubaLIF, output) into a checkpoint `evaluate` accepts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bss2emu import-nir`."""
    parser.add_argument("file", help="NIR graph (.nir, HDF5), e.g. from `bss2emu export`")
    parser.add_argument("--out", help="checkpoint to write (default: FILE with suffix .npz)")
    parser.add_argument("--mode", choices=("software", "chip"), default="software",
                        help="software: the network as it is; chip: also map it onto the chip "
                             "and report what the chip's weight range clips (default software)")
    parser.add_argument("--dataset", metavar="{" + ",".join(DATASETS) + "}",
                        help="data set the network classifies, for graphs that do not carry a "
                             "bss2emu configuration")
    parser.add_argument("--mnist-dir", help="directory with the MNIST IDX files (mnist networks)")


def chip_report(state: TrainState) -> str:
    """Map the network with the chip's placement (host/chip/mapping.py); its report says how
    many weights the chip clips or rounds to zero. Networks the chip cannot hold are rejected."""
    from bss2emu.host.chip.mapping import MappingError, map_network

    if len(state.weights) != 2:
        raise MappingError(f"the chip mapping holds one hidden layer, the graph has "
                           f"{len(state.weights) - 1}")
    if state.config.bias_times[1]:
        raise MappingError("the graph has bias spikes into its label layer; the chip mapping "
                           "has them only in the first layer (export a network trained with "
                           "--mode chip or --chip-network)")
    _, _, report, _ = map_network(*state.weights)
    return report.summary()


def run(args: argparse.Namespace) -> int:
    """Read, check the shape, map (chip mode), write the checkpoint."""
    from bss2emu.host.learning.nir_import import (
        check_fits,
        checkpoint_state,
        network_from_graph,
        read_graph,
    )

    source = paths.existing_file(args.file, "FILE")
    out = paths.output_file(args.out or str(source.with_suffix(".npz")), "--out")
    net = network_from_graph(read_graph(source))
    base = None
    if args.mode == "chip" and net.config is None and args.dataset is not None:
        from bss2emu.host.chip.training import chip_config

        base = chip_config(args.dataset, net.tau_ratio)
    state = checkpoint_state(net, args.dataset, base)
    if args.mnist_dir is not None:
        state.config.mnist_dir = args.mnist_dir
    data = load_dataset(state.config.dataset, state.config.mnist_dir, state.config.split_seed)
    check_fits(state, data.n_inputs, data.n_classes)
    if args.mode == "chip":
        print(f"chip mapping: {chip_report(state)}")
    save_checkpoint(Path(out), state)
    sizes = [state.weights[0].shape[0] - len(state.config.bias_times[0])]
    sizes += [w.shape[1] for w in state.weights]
    print(f"wrote {out}: {state.config.dataset} network {'-'.join(map(str, sizes))}, "
          f"tau_mem / tau_syn = {state.config.tau_ratio}; evaluate with: bss2emu evaluate {out}"
          + (" --mode chip" if args.mode == "chip" else ""))
    return 0
