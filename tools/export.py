"""`bss2emu export`: a trained network from its checkpoint in an interchange format (NIR)."""
from __future__ import annotations

import argparse

from bss2emu.host.learning.checkpoint import load_checkpoint
from bss2emu.tools import paths

HELP = "write a trained network (checkpoint from `bss2emu train`) as a NIR graph"
FORMATS = ("nir",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bss2emu export`."""
    parser.add_argument("checkpoint", help="checkpoint.npz written by `bss2emu train`")
    parser.add_argument("--format", choices=FORMATS, default="nir",
                        help="interchange format (default nir: the Neuromorphic Intermediate "
                             "Representation, docs/nir.md)")
    parser.add_argument("out", help="file to write, e.g. network.nir")


def run(args: argparse.Namespace) -> int:
    """Load the checkpoint, write the graph, say what it holds."""
    paths.existing_file(args.checkpoint, "checkpoint")
    out = paths.output_file(args.out, "OUT")
    state = load_checkpoint(args.checkpoint)
    from bss2emu.host.learning.nir_export import export_nir

    export_nir(state, out)
    sizes = [state.weights[0].shape[0] - len(state.config.bias_times[0])]
    sizes += [w.shape[1] for w in state.weights]
    n_bias = sum(len(b) for b in state.config.bias_times)
    print(f"wrote {out}: NIR graph {'-'.join(map(str, sizes))} with {n_bias} bias channels, "
          f"CubaLIF neurons with tau_mem / tau_syn = {state.config.tau_ratio} "
          f"({state.config.dataset}, {state.epoch} epochs)")
    return 0
