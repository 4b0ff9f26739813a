"""`bss2emu ppu`: programs for the plasticity processor (PPU); one sub-action per function."""
from __future__ import annotations

import argparse
from pathlib import Path

from bss2emu.tools import paths
from bss2emu.tools.arguments import add_device_arguments
from bss2emu.tools.cli import UserError

HELP = "build programs for the plasticity processor (PPU)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-actions of `bss2emu ppu`, each with its own options and run function."""
    actions = parser.add_subparsers(dest="ppu_action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="compile C sources with the PPU runtime into an ELF",
                               description="compile C sources with the PPU runtime into an ELF")
    build.add_argument("sources", nargs="+", metavar="FILE", help="C or assembly sources")
    build.add_argument("-o", "--output", help="ELF file (default: the first source's name, .elf)")
    build.add_argument("-O", dest="opt", default="2", choices=("0", "1", "2", "3", "s", "z"),
                       help="optimisation level (default 2)")
    build.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VALUE]",
                       help="preprocessor macro (repeatable)")
    build.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                       help="include directory (repeatable)")
    build.set_defaults(_ppu_run=run_build)
    run_ = actions.add_parser(
        "run", help="load an ELF into a PPU through the protocol, start it, wait for sleep",
        description="load an ELF into a PPU through the protocol, start it, wait until it "
                    "sleeps (or the timeout), then print its exit code, fault and mailbox")
    run_.add_argument("elf", metavar="FILE.elf", help="program built with `bss2emu ppu build`")
    run_.add_argument("--hemisphere", type=int, default=0, choices=(0, 1),
                      help="which PPU: 0 top (default), 1 bottom")
    run_.add_argument("--timeout-us", type=float, default=10_000.0,
                      help="emulated time to wait for the program to sleep (default 10000)")
    run_.add_argument("--words", type=int, default=8, metavar="N",
                      help="mailbox user words to print (default 8)")
    run_.add_argument("--set", dest="parameters", action="append", default=[],
                      metavar="NAME=VALUE",
                      help="set an initialised integer variable (PPU_PARAMETER) before loading; "
                           "repeatable")
    add_device_arguments(run_)
    run_.set_defaults(_ppu_run=run_program)


def run(args: argparse.Namespace) -> int:
    return args._ppu_run(args)


def run_build(args: argparse.Namespace) -> int:
    """Compile, then list the program's sections and how much SRAM it leaves for the stack."""
    from bss2emu.host.ppu.elf import SRAM_BYTES, PpuElfError, read_program
    from bss2emu.host.ppu.toolchain import ToolchainError, build, mailbox_layout

    output = Path(args.output) if args.output else Path(args.sources[0]).with_suffix(".elf")
    defines = dict(d.split("=", 1) if "=" in d else (d, None) for d in args.defines)
    try:
        build(args.sources, output, opt=f"-O{args.opt}", defines=defines,
              include_dirs=args.include_dirs)
        program = read_program(output)
    except (ToolchainError, PpuElfError) as err:
        raise UserError(str(err)) from None
    print(f"{output}: entry {program.entry:#x}")
    print(f"  {'section':16s} {'address':>10s} {'size':>7s}")
    for name, address, size in program.sections:
        print(f"  {name:16s} {address:#010x} {size:7d}")
    used = max((a + s for _, a, s in program.sections if a < SRAM_BYTES), default=0)
    stack_top = mailbox_layout()["BASE"] - 16
    print(f"SRAM: {used} bytes used, {stack_top - used} bytes free for heap and stack, "
          f"mailbox at {mailbox_layout()['BASE']:#x}")
    return 0


def run_program(args: argparse.Namespace) -> int:
    """Exit status 0 when the program called exit (whatever its code), 1 on a fault or
    timeout."""
    from bss2emu.host.connection import HostError, connect
    from bss2emu.host.ppu.elf import PpuElfError, read_program
    from bss2emu.host.ppu.runner import PpuRunError, run_program

    if args.words < 0:
        raise UserError("--words must be >= 0")
    paths.existing_file(args.elf, "program")
    paths.positive_finite(args.timeout_us, "--timeout-us")
    try:
        program = read_program(args.elf)
        for name, value in _parameters(args.parameters):
            program = program.with_symbol_value(name, value)
        connection = connect(args.device, seed=args.chip_seed)
    except PpuElfError as err:
        raise UserError(str(err)) from None
    except (HostError, OSError) as err:
        raise UserError(f"cannot reach {args.device or 'the embedded emulator'}: {err}") from None
    with connection:
        try:
            result = run_program(connection, program, hemisphere=args.hemisphere,
                                 timeout_us=args.timeout_us)
        except PpuRunError as err:
            raise UserError(str(err)) from None
    print(result.describe())
    if result.text:
        print("mailbox text:")
        print("  " + result.text.rstrip("\n").replace("\n", "\n  "))
    if args.words:
        shown = " ".join(f"{int(w):#010x}" for w in result.words[:args.words])
        print(f"mailbox words[0:{args.words}]: {shown}")
    return 0 if result.exit_code is not None else 1


def _parameters(items: list[str]) -> list[tuple[str, int]]:
    """NAME=VALUE pairs of --set (VALUE in any integer notation Python reads: 12, 0x1f)."""
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out.append((name, int(value, 0)))
        except ValueError:
            sep = ""
        if not sep or not name:
            raise UserError(f"--set takes NAME=INTEGER, got {item!r}")
    return out
