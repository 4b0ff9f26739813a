"""`bss2emu calibrate`: per-neuron CapMem calibration through the wire protocol."""
from __future__ import annotations

import argparse

import numpy as np
from bss2emu.tools import paths
from bss2emu.tools.arguments import add_device_arguments
from bss2emu.tools.cli import UserError

HELP = "calibrate the neurons of a (possibly emulated) chip and save the result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_device_arguments(parser)
    parser.add_argument("--rounds", type=int, default=4, help="measure-and-update rounds")
    parser.add_argument("--neurons", choices=("network", "all"), default="network",
                        help="the neurons the chip mapping uses (default, 160) or all 512")
    parser.add_argument("--out", help="calibration file (default: the chip's file in the "
                                      "calibration directory)")
    parser.add_argument("--calibration-dir", metavar="DIR",
                        help="where calibrations live (default $BSS2EMU_DATA_DIR/calibrations "
                             "or ~/.local/share/bss2emu/calibrations)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from bss2emu.host.chip.calibrated import default_neurons, run_calibration
    from bss2emu.host.chip.identity import calibration_path, chip_identity
    from bss2emu.host.chip.session import connect_chip

    if args.rounds < 1:
        raise UserError("--rounds must be at least 1")
    paths.non_negative_int(args.chip_seed, "--chip-seed")
    if args.out is not None:
        paths.output_file(args.out, "--out")
    neurons = np.arange(512) if args.neurons == "all" else default_neurons()
    with connect_chip(args.device, args.chip_seed) as connection:
        identity = chip_identity(connection, args.device)
        out = paths.output_file(str(args.out or calibration_path(identity,
                                                                 args.calibration_dir)), "--out")
        out.parent.mkdir(parents=True, exist_ok=True)  # before the work: a fresh data directory
        result = run_calibration(connection, identity, neurons, args.rounds,
                                 not args.no_progress)
    result.save(out)
    print(f"chip {identity}: {len(neurons)} neurons, {args.rounds} rounds")
    print(f"{'parameter':12s} {'before':>8s} {'after':>8s} {'reduction':>10s}  (std / mean)")
    for name, before in result.before.items():
        after = result.after[name]
        ratio = before / after if after > 0 else float("inf")
        print(f"{name:12s} {before:8.2%} {after:8.2%} {ratio:9.1f}x")
    print(f"saved {out}")
    return 0
