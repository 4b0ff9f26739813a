"""`bss2emu evaluate`: test accuracy of a trained network from its checkpoint."""
from __future__ import annotations

import argparse
import time

from bss2emu.host.chip.energy import InferenceCost
from bss2emu.host.learning.checkpoint import load_checkpoint
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.trainer import Trainer, evaluate
from bss2emu.tools import paths
from bss2emu.tools.cli import UserError
from bss2emu.tools.train import (
    add_calibration_argument,
    add_device_arguments,
    load_training_data,
    make_backend,
)

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
    try:
        state = load_checkpoint(args.checkpoint)
        config = state.config
        if args.mnist_dir is not None:
            config.mnist_dir = args.mnist_dir
        data = load_training_data(config)
    except LearningInputError as err:
        raise UserError(str(err)) from None
    backend, release = make_backend(args)
    try:
        try:
            trainer = Trainer(config, data, backend, state)
        except LearningInputError as err:
            raise UserError(str(err)) from None
        split = getattr(data, args.split)
        if args.mode == "chip":
            if not args.window_us > 0:
                raise UserError("--window-us must be positive")
            backend.window_us = args.window_us
        start = time.perf_counter()
        _, accuracy, _ = evaluate(trainer.network, trainer.backend, split,
                                  config.eval_batch_size, trainer.loss)
        wall = time.perf_counter() - start
    finally:
        release()
    print(f"{args.split} accuracy {100 * accuracy:.2f} % ({len(split)} samples, "
          f"{config.dataset}, {state.epoch} epochs, {args.mode})")
    if args.mode == "chip":
        cost = InferenceCost(len(split), args.window_us * 1e-6, wall)
        print(cost.summary())
    return 0
