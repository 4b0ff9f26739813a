"""`bss2emu calibrate`: per-neuron CapMem calibration through the wire protocol."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from bss2emu.tools import paths
from bss2emu.tools.cli import UserError
from tqdm import tqdm

HELP = "calibrate the neurons of a (possibly emulated) chip and save the result"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from bss2emu.tools.train import add_device_arguments

    add_device_arguments(parser)
    parser.add_argument("--rounds", type=int, default=4, help="measure-and-update rounds")
    parser.add_argument("--neurons", choices=("network", "all"), default="network",
                        help="the neurons the chip mapping uses (default, 160) or all 512")
    parser.add_argument("--out", help="calibration file (default calibrations/<chip id>.json)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def default_neurons() -> np.ndarray:
    """Every neuron the chip mapping can use (128 hidden, 32 label neurons)."""
    from bss2emu.host.chip.mapping import MAX_HIDDEN, MAX_INPUTS, MAX_LABELS, Placement

    placement = Placement(MAX_INPUTS, MAX_HIDDEN, MAX_LABELS)
    return np.concatenate([placement.hidden_neurons, placement.label_neurons])


def calibrate(connection, url: str | None, seed: int, neurons: np.ndarray, rounds: int,
              progress: bool = True):
    """Run the calibration on an open connection; returns (Calibration, identity)."""
    from bss2emu.host.chip.calibration import Calibration, Calibrator
    from bss2emu.host.chip.identity import chip_identity

    identity = chip_identity(connection, url, seed)
    calibrator = Calibrator(connection, neurons)
    bar = tqdm(total=rounds, desc="calibration rounds", disable=not progress, leave=False)
    before, after = calibrator.calibrate(rounds, progress=lambda r, m: bar.update())
    bar.close()
    result = Calibration(identity, calibrator.codes, before.spread(), after.spread())
    return result, identity


def run(args: argparse.Namespace) -> int:
    from bss2emu.host.chip.identity import calibration_path
    from bss2emu.host.connection import HostError, connect

    if args.rounds < 1:
        raise UserError("--rounds must be at least 1")
    paths.non_negative_int(args.chip_seed, "--chip-seed")
    if args.out is not None:
        paths.output_file(args.out, "--out")
    neurons = np.arange(512) if args.neurons == "all" else default_neurons()
    try:
        connection = connect(args.device, seed=args.chip_seed)
    except (HostError, OSError) as err:
        raise UserError(f"cannot reach {args.device or 'the embedded emulator'}: {err}") from None
    with connection:
        result, identity = calibrate(connection, args.device, args.chip_seed, neurons,
                                     args.rounds, not args.no_progress)
    out = Path(args.out or calibration_path(identity))
    out.parent.mkdir(parents=True, exist_ok=True)
    result.save(out)
    print(f"chip {identity}: {len(neurons)} neurons, {args.rounds} rounds")
    print(f"{'parameter':12s} {'before':>8s} {'after':>8s} {'reduction':>10s}  (std / mean)")
    for name, before in result.before.items():
        after = result.after[name]
        ratio = before / after if after > 0 else float("inf")
        print(f"{name:12s} {before:8.2%} {after:8.2%} {ratio:9.1f}x")
    print(f"saved {out}")
    return 0
