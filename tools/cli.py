"""The `bss2emu` command: dispatches to one module per subcommand.

Each subcommand module exposes `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`. Modules are imported lazily so that `bss2emu --help` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from bss2emu.host.connection import HostError

from bss2emu import __version__
from bss2emu.errors import InputError

# subcommand name -> module implementing it
SUBCOMMANDS: dict[str, str] = {
    "info": "bss2emu.tools.info",
    "train": "bss2emu.tools.train",
    "evaluate": "bss2emu.tools.evaluate",
    "calibrate": "bss2emu.tools.calibrate",
    "serve": "bss2emu.tools.serve",
    "ppu": "bss2emu.tools.ppu",
    "export": "bss2emu.tools.export",
    "import-nir": "bss2emu.tools.import_nir",
    "sweep": "bss2emu.tools.sweep",
}


class UserError(Exception):
    """An error caused by the user's input: printed as one clear line, exit code 2."""


class Interrupted(Exception):
    """Ctrl-C, with a line saying what was saved and how to continue (exit code 130)."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="bss2emu",
        description="BrainScaleS-2 (HICANN-X) emulator, host software and first-spike-time "
                    "learning",
    )
    parser.add_argument("--version", action="version", version=f"bss2emu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bss2emu` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (UserError, InputError) as err:
        print(f"bss2emu {args.command}: error: {err}", file=sys.stderr)
        return 2
    except HostError as err:
        print(f"bss2emu {args.command}: error: device: {err}", file=sys.stderr)
        return 2
    except Interrupted as err:
        print(f"bss2emu {args.command}: {err}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
