"""Speed of the PPU's scalar core: a compute-bound C program (bench/ppu/mips_workload.c, CRC-32
plus insertion sort, built with the PPU toolchain) runs to its exit `wait` on our core and on
unicorn (QEMU e500v2, a JIT); both must return the same checksum.

Prints a human line and, as the last line, JSON: {"mips": ..., "unicorn_mips": ...}
(million retired instructions per wall-clock second, best of --repeats runs each, unicorn
without an instruction-count hook and credited with our count).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bss2emu.chipsim.ppu.core import PpuCore, Status
from bss2emu.host.ppu.elf import read_program
from bss2emu.host.ppu.toolchain import build, mailbox_layout

WORKLOAD = Path(__file__).resolve().parent / "ppu" / "mips_workload.c"


def exit_code(sram: bytes) -> int:
    layout = mailbox_layout()
    at = layout["BASE"] + layout["EXIT_CODE"]
    return int.from_bytes(sram[at:at + 4], "big")


def run_ours(image: bytes, repeats: int) -> tuple[float, int, int]:
    """Best wall time over `repeats`, retired instructions, exit code."""
    best = float("inf")
    for _ in range(repeats):
        core = PpuCore()
        core.load(image)
        begin = time.perf_counter()
        status = core.run(1 << 62)
        best = min(best, time.perf_counter() - begin)
        if status != Status.SLEEPING:
            raise SystemExit(f"workload did not finish: {status.name}, {core.fault}")
    return best, core.instret, exit_code(core.read_memory(0, len(core.state.sram)))


def run_unicorn(image: bytes, repeats: int) -> tuple[float, int]:
    """Best wall time over `repeats` (like ours), without an instruction limit: unicorn's
    count limit hooks every instruction, which would slow its JIT down."""
    sys.path.insert(0, str(WORKLOAD.parents[2]))  # the repository: the tests' unicorn harness
    from tests.ppu.unicorn_harness import UnicornPpu

    emulator = UnicornPpu()
    best = float("inf")
    for _ in range(repeats):
        begin = time.perf_counter()
        state = emulator.run(image, max_instructions=0)  # 0: no limit, no counting hook
        best = min(best, time.perf_counter() - begin)
        if state.stop != "wait":
            raise SystemExit(f"unicorn did not finish the workload ({state.stop})")
    return best, exit_code(state.sram)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="workload rounds (default 40)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of each emulator (the best counts)")
    parser.add_argument("--no-unicorn", action="store_true", help="skip the unicorn run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        elf = build([WORKLOAD], Path(folder) / "mips.elf", defines={"ROUNDS": args.rounds})
        image = read_program(elf).sram_image()
    seconds, instructions, code = run_ours(image, args.repeats)
    mips = instructions / seconds / 1e6
    result = {"mips": round(mips, 1), "unicorn_mips": None}
    line = f"core: {instructions:,} instructions in {seconds * 1e3:.1f} ms = {mips:.0f} MIPS"
    if not args.no_unicorn:
        their_seconds, their_code = run_unicorn(image, args.repeats)
        if their_code != code:
            raise SystemExit(f"checksums differ: core {code:#x}, unicorn {their_code:#x}")
        result["unicorn_mips"] = round(instructions / their_seconds / 1e6, 1)
        line += f"; unicorn {their_seconds * 1e3:.1f} ms = {result['unicorn_mips']:.0f} MIPS"
    print(line + f" (checksum {code:#010x})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
