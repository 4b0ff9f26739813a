"""Command-line options shared by several subcommands: where the chip is (--device,
--chip-seed) and which calibration a chip run applies (--calibration, --calibration-dir), and
their translation into the host's `ChipOptions`."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the host side is imported when a command runs: `bss2emu --help` stays fast
    from bss2emu.host.chip.session import ChipOptions


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a chip is: a device URL or the embedded emulator's seed."""
    parser.add_argument("--device", metavar="URL",
                        help="device URL (socket://HOST:PORT or a pty path); default: an "
                             "embedded emulator")
    parser.add_argument("--chip-seed", type=int, default=0,
                        help="seed (identity) of the embedded emulated chip")


def add_calibration_argument(parser: argparse.ArgumentParser) -> None:
    """Which calibration chip mode applies."""
    parser.add_argument("--calibration", default="auto", metavar="{auto,none,FILE}",
                        help="chip mode: neuron calibration; auto (default) uses the chip's "
                             "file in the calibration directory or calibrates first, none "
                             "runs uncalibrated")
    parser.add_argument("--calibration-dir", metavar="DIR",
                        help="where calibrations live (default $BSS2EMU_DATA_DIR/calibrations "
                             "or ~/.local/share/bss2emu/calibrations)")


def chip_options(args: argparse.Namespace) -> ChipOptions:
    """The chip the device and calibration options name (progress bars unless
    --no-progress)."""
    from bss2emu.host.chip.session import ChipOptions

    return ChipOptions(device=args.device, seed=args.chip_seed, calibration=args.calibration,
                       calibration_dir=args.calibration_dir,
                       progress=not getattr(args, "no_progress", False))
