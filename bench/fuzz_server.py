"""Fuzz the device server at scale: a `bss2emu serve` process receives --frames random and
mutated frames over TCP (valid frames with flipped bits, cut, inserted or deleted bytes, and
random byte runs with and without sync words). After every --check frames it must answer a
good program, the configuration written at the start must read back unchanged, and its
resident memory must stay under --rss-mib. Counts crashes (the process died), hangs (no answer
within --timeout) and configuration changes; the last line is JSON.

Not a test (it runs for minutes): python bench/fuzz_server.py --frames 1000000
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bss2emu.host.connection import HostError, connect
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.link import SYNC_BYTES, FrameWriter, PacketType
from bss2emu.protocol.ut import omnibus_writes

#: words written once at the start and read back at every check: PADI bus configs, drivers'
#: word 0, synapse weight quads (values legal for each)
TARGETS = np.concatenate([np.array(ob.PADI_BASE) + 1,
                          ob.SYNAPSE_DRIVER_BASE[1] + 4 * np.arange(8),
                          ob.SYNRAM_BASE[0] + np.arange(16)])
MASKS = np.array([0xF, 0xF] + [0xFFFF] * 8 + [0x3F3F3F3F] * 16, np.int64)
PAD_BYTES = 512


def mutated(rng: np.random.Generator, writer: FrameWriter) -> tuple[bytes, bytes]:
    """(damaged, original): a valid UT frame of omnibus writes to the targets, damaged so that
    on its own it cannot pass its CRCs."""
    sel = rng.choice(TARGETS.size, int(rng.integers(1, 5)), replace=False)
    original = writer.frame(PacketType.UT, omnibus_writes(
        TARGETS[sel], rng.integers(0, 2**32, sel.size) & MASKS[sel]))
    raw = bytearray(original)
    kind = int(rng.integers(4))
    if kind == 0:
        for bit in rng.choice(len(raw) * 8, int(rng.integers(1, 4)), replace=False):
            raw[bit // 8] ^= 1 << (bit % 8)
    elif kind == 1:
        del raw[int(rng.integers(1, len(raw))):]
    elif kind == 2:
        at = int(rng.integers(1, len(raw)))
        raw[at:at] = rng.integers(0, 256, int(rng.integers(1, 9)), np.uint8).tobytes()
    else:
        at = int(rng.integers(0, len(raw)))
        del raw[at:at + int(rng.integers(1, 9))]
    return bytes(raw), original


def fuzz_batch(rng: np.random.Generator, writer: FrameWriter, n: int) -> list[bytes]:
    """n mutated frames and random byte runs whose concatenation holds none of the original
    frames (a frame cut by one byte and followed by that very byte would be whole again)."""
    while True:
        parts, originals = [], []
        for _ in range(n):
            if rng.random() < 0.7:
                damaged, original = mutated(rng, writer)
                parts.append(damaged)
                originals.append(original)
            else:
                parts.append(random_bytes(rng))
        data = b"".join(parts)
        if not any(original in data for original in originals):
            return parts


def random_bytes(rng: np.random.Generator) -> bytes:
    junk = bytearray(rng.integers(0, 256, int(rng.integers(1, 80)), np.uint8).tobytes())
    if rng.random() < 0.3:
        at = int(rng.integers(0, len(junk) + 1))
        junk[at:at] = SYNC_BYTES
    return bytes(junk)


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--check", type=int, default=1000, help="frames between checks")
    parser.add_argument("--rss-mib", type=float, default=200.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    proc = subprocess.Popen([sys.executable, "-m", "bss2emu", "serve", "--listen",
                             "127.0.0.1:0", "--log-level", "warning"],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    crashes = hangs = changes = 0
    sent = sent_bytes = 0
    peak = 0.0
    start = time.perf_counter()
    values = rng.integers(0, 2**32, TARGETS.size) & MASKS
    try:
        with connect(url, timeout=args.timeout) as conn:
            builder = PlaybackProgramBuilder(timer_setup=False)
            builder.write_many(TARGETS, values)
            conn.run(builder.done())
            writer = FrameWriter()
            port = conn.transport.port
            while sent < args.frames:
                batch = fuzz_batch(rng, writer, min(args.check, args.frames - sent))
                data = b"".join(batch)
                # zeros complete any cut frame the server still waits for (they hold no sync);
                # the direct TCP port has sent everything when write returns
                port.write(data + bytes(PAD_BYTES))
                sent += len(batch)
                sent_bytes += len(data)
                try:
                    conn.handshake(args.timeout)  # a fresh session: the garbage is behind it
                    builder = PlaybackProgramBuilder(timer_setup=False)
                    ticket = builder.read_many(TARGETS)
                    conn.run(builder.done(), args.timeout)
                    changes += int(np.any(ticket.value != values))
                except HostError as err:
                    if proc.poll() is not None:
                        crashes += 1
                        print(f"server died after {sent} frames: {err}", file=sys.stderr)
                        break
                    hangs += 1
                    print(f"no answer after {sent} frames: {err}", file=sys.stderr)
                    break
                peak = max(peak, rss_mib(proc.pid))
                if sent % (100 * args.check) == 0:
                    print(f"{sent} frames, {sent_bytes / 2**20:.0f} MiB, peak RSS {peak:.0f} MiB",
                          flush=True)
    finally:
        proc.kill()
    seconds = time.perf_counter() - start
    over = peak > args.rss_mib
    print(f"{sent} frames ({sent_bytes / 2**20:.0f} MiB) in {seconds:.0f} s: {crashes} crashes, "
          f"{hangs} hangs, {changes} configuration changes, peak RSS {peak:.0f} MiB "
          f"({'over' if over else 'under'} the bound of {args.rss_mib:g} MiB)")
    print(json.dumps({"frames": sent, "seconds": round(seconds, 1), "crashes": crashes,
                      "hangs": hangs, "config_changes": changes,
                      "peak_rss_mib": round(peak, 1)}))


if __name__ == "__main__":
    main()
