"""`bss2emu evaluate`: test accuracy of a trained network from its checkpoint."""
from __future__ import annotations

import argparse
import time

from bss2emu.host.chip.energy import InferenceCost
from bss2emu.host.learning.checkpoint import load_checkpoint
from bss2emu.host.learning.dataset import load_training_data
from bss2emu.host.learning.evaluation import evaluate, trained_network
from bss2emu.host.modes import open_backend
from bss2emu.tools import paths
from bss2emu.tools.arguments import add_calibration_argument, add_device_arguments, chip_options
from bss2emu.tools.cli import UserError

MAX_WINDOW_US = 4000.0
"""Longest sample window: an evaluation batch (200 samples) stays within the device server's
default limit of 1000 ms of emulated time per program."""

HELP = "print the test accuracy of a trained network (checkpoint from `bss2emu train`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bss2emu evaluate`."""
    parser.add_argument("checkpoint", help="checkpoint.npz written by `bss2emu train`")
    parser.add_argument("--mnist-dir", help="directory with the MNIST IDX files, if moved")
    parser.add_argument("--split", choices=("test", "validation", "train"), default="test",
                        help="which split to evaluate (default test)")
    parser.add_argument("--mode", choices=("software", "chip"), default="software",
                        help="where the network runs (default software)")
    parser.add_argument("--window-us", type=float, default=48.0,
                        help="chip mode: hardware time per sample in us (default 48, the "
                             "paper's fast inference)")
    add_device_arguments(parser)
    add_calibration_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Load, evaluate in software or on a chip, print the accuracy."""
    paths.existing_file(args.checkpoint, "checkpoint")
    if args.mode == "chip":
        paths.positive_finite(args.window_us, "--window-us")
        if args.window_us > MAX_WINDOW_US:
            raise UserError(f"--window-us {args.window_us:g} is longer than {MAX_WINDOW_US:g} us "
                            "(a batch of samples must fit one playback program)")
    state = load_checkpoint(args.checkpoint)
    config = state.config
    if args.mnist_dir is not None:
        config.mnist_dir = args.mnist_dir
    data = load_training_data(config)
    network = trained_network(config, state.weights, data)
    split = getattr(data, args.split)
    window_us = args.window_us if args.mode == "chip" else None
    with open_backend(args.mode, chip_options(args), window_us) as backend:
        start = time.perf_counter()
        _, accuracy, _ = evaluate(network, backend, split, config.eval_batch_size, config.loss())
        wall = time.perf_counter() - start
    print(f"{args.split} accuracy {100 * accuracy:.2f} % ({len(split)} samples, "
          f"{config.dataset}, {state.epoch} epochs, {args.mode})")
    if args.mode == "chip":
        cost = InferenceCost(len(split), args.window_us * 1e-6, wall)
        print(cost.summary())
    return 0
