"""`bss2emu sweep SPEC`: a study of many training runs (the paper's distortion study), each
point's result saved as it completes, serially or on Dask (docs/studies.md)."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from bss2emu.tools.cli import UserError

HELP = "run a study of training runs over distortions, magnitudes and seeds (TOML spec)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bss2emu sweep`."""
    parser.add_argument("spec", help="sweep specification (TOML, docs/studies.md)")
    parser.add_argument("--out", help="sweep directory (default: the spec's out)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on this Dask cluster (default: a local cluster)")
    where.add_argument("--serial", action="store_true",
                       help="run the points one after another in this process")
    parser.add_argument("--workers", type=int,
                        help="local cluster: worker processes, one thread each (default: one "
                             "per core, at most one per pending run)")
    parser.add_argument("--epochs", type=int,
                        help="train this many epochs instead of the spec's (recorded in the "
                             "sweep directory: use another --out than for other counts)")
    parser.add_argument("--no-reuse", action="store_true",
                        help="train test-only points in full instead of testing their seed's "
                             "clean network (the same results, one training run each)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run the pending points, then write the table and the figures."""
    if args.scheduler is not None and not args.scheduler.startswith("tcp://"):
        raise UserError(f"--scheduler must be tcp://HOST:PORT, got {args.scheduler!r}")
    if args.workers is not None and (args.workers < 1 or args.scheduler or args.serial):
        raise UserError("--workers must be at least 1, and only sizes a local cluster")
    from bss2emu.host.studies.report import write_report
    from bss2emu.host.studies.spec import load_spec
    from bss2emu.host.studies.sweep import load_results, run_sweep

    spec = load_spec(args.spec, epochs=args.epochs)
    if args.out is not None:
        spec = dataclasses.replace(spec, out=Path(args.out))
    done = run_sweep(spec, serial=args.serial, scheduler=args.scheduler,
                     workers=args.workers, progress=not args.no_progress,
                     reuse=not args.no_reuse)
    results = load_results(spec)
    report = write_report(spec, results)
    print(f"{done.trained} runs trained, {done.evaluated} test-only points tested on their "
          f"seed's clean network, {len(results)} of {len(spec.runs())} have results; "
          f"table and figures in {report}")
    return 0
