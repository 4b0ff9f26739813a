"""Protocol throughput over TCP loopback against a device server in its own process
(`bss2emu serve --listen 127.0.0.1:0`).

Measures the round trip of a program with a single omnibus read (the read and the halt,
median over --reads runs, microseconds) and the payload throughput of writing both complete
synapse arrays, weights and labels of both hemispheres, as omnibus writes: 65536 writes =
256 KiB of data words (MB/s of payload; best of --reps, program built beforehand, timed from
sending until the halt echo arrives), with the machine's load average before and after (the
numbers depend on what else runs). The last line is JSON:
{"read_rtt_us": ..., "bulk_write_MBps": ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from bss2emu.host.connection import connect
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob


def start_server(seed: int) -> tuple[subprocess.Popen, str]:
    """A device server subprocess and its URL (the first line it prints)."""
    proc = subprocess.Popen([sys.executable, "-m", "bss2emu", "serve", "--listen",
                             "127.0.0.1:0", "--seed", str(seed), "--log-level", "warning"],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("socket://"):
        proc.kill()
        raise RuntimeError(f"server did not start (printed {url!r})")
    return proc, url


def synapse_program(rng: np.random.Generator):
    """All synapse weights and labels of both hemispheres, random 6-bit values."""
    rows = np.arange(ob.SYNAPSE_ROWS)
    writes = [b.synapse_rows(h, rows, rng.integers(0, 64, (ob.SYNAPSE_ROWS, ob.COLUMNS)),
                             rng.integers(0, 64, (ob.SYNAPSE_ROWS, ob.COLUMNS)))
              for h in range(ob.HEMISPHERES)]
    addresses, words = b.concat(*writes)
    builder = PlaybackProgramBuilder(timer_setup=False)
    builder.write_many(addresses, words)
    check = builder.read(int(addresses[-1]))
    return builder.done(), check, int(words[-1]), addresses.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    proc, url = start_server(seed=0)
    try:
        with connect(url, timeout=30) as conn:
            address = int(b.padi_bus(0, 0)[0][0])
            rtts = []
            for _ in range(args.reads):
                builder = PlaybackProgramBuilder(timer_setup=False)
                ticket = builder.read(address)
                program = builder.done()
                start = time.perf_counter()
                conn.run(program)
                rtts.append(time.perf_counter() - start)
                assert ticket.value == 0
            rtt_us = float(np.median(rtts)) * 1e6
            rng = np.random.default_rng(0)
            best, writes = float("inf"), 0
            for _ in range(args.reps):
                program, check, last_word, writes = synapse_program(rng)
                start = time.perf_counter()
                conn.run(program)
                best = min(best, time.perf_counter() - start)
                assert check.value == last_word, "read-back after the bulk write differs"
            mbps = 4 * writes / best / 1e6
    finally:
        proc.terminate()
        proc.wait(10)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine load (1, 5, 15 min) before: {load_before}, after: {load}")
    print(f"single omnibus read round trip: median {rtt_us:.0f} us over {args.reads} programs")
    print(f"bulk synapse write: {writes} writes ({4 * writes // 1024} KiB payload) "
          f"in {best * 1e3:.1f} ms = {mbps:.1f} MB/s (best of {args.reps})")
    print(json.dumps({"read_rtt_us": round(rtt_us, 1), "bulk_write_MBps": round(mbps, 1)}))


if __name__ == "__main__":
    main()
