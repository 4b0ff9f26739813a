"""Emulated PPU time per wall-clock second of `bss2emu ppu run`: the compute-bound workload of
bench/ppu_mips.py (bench/ppu/mips_workload.c) is loaded and run through the wire protocol with
`host.ppu.runner.run_program`, as `bss2emu ppu run` does, against the embedded emulator (the
CLI's default) or a device URL. What counts is how much emulated time the host's waiting for
the PPU costs on top of emulating it.

Prints a human line and, as the last line, JSON:
{"emulated_ms": ..., "wall_s": ..., "emulated_ms_per_wall_s": ...} (best of --repeats).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bss2emu.host.connection import connect
from bss2emu.host.ppu.elf import read_program
from bss2emu.host.ppu.runner import run_program
from bss2emu.host.ppu.toolchain import build

WORKLOAD = Path(__file__).resolve().parent / "ppu" / "mips_workload.c"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="workload rounds (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the best counts)")
    parser.add_argument("--device", default=None, help="device URL (default: embedded)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        elf = build([WORKLOAD], Path(folder) / "mips.elf", defines={"ROUNDS": args.rounds})
        program = read_program(elf)
    best = None
    with connect(args.device, timeout=120) as conn:
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = run_program(conn, program, timeout_us=60e6)
            wall = time.perf_counter() - start
            if result.exit_code is None:
                raise SystemExit(f"the workload did not finish: {result.describe()}")
            if best is None or wall < best[0]:
                best = (wall, result.elapsed_us)
    wall, elapsed_us = best
    rate = elapsed_us / 1e3 / wall
    print(f"{elapsed_us / 1e3:.2f} ms of emulated time in {wall:.3f} s of wall time = "
          f"{rate:.1f} emulated ms per wall second (best of {args.repeats})")
    print(json.dumps({"emulated_ms": round(elapsed_us / 1e3, 3), "wall_s": round(wall, 3),
                      "emulated_ms_per_wall_s": round(rate, 1)}))


if __name__ == "__main__":
    main()
