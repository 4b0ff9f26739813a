"""Throughput of the protocol fast paths: bulk UT encode/decode and link framing.

Prints one line per measurement and, last, a JSON object of MB/s (payload bytes per second).
Seeded; sizes kept small enough for a shared machine (`--words N` to change).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from bss2emu.protocol.link import FrameReader, FrameWriter
from bss2emu.protocol.ut import (
    ResponseDecoder,
    event_packs,
    omnibus_writes,
    pack_words,
    spike_injection,
)


def _rate(nbytes: int, fn) -> float:
    """Best of three runs, MB/s."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return nbytes / best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, default=500_000)
    n = parser.parse_args().words
    rng = np.random.default_rng(0)
    addr = rng.integers(0, 2**32, n // 2, dtype=np.uint64)
    times = np.sort(rng.integers(0, 2**31, n))
    labels = rng.integers(0, 2**16, n)
    spikes = pack_words(event_packs("spike", {"timestamp": rng.integers(0, 256, n),
                                              "label": labels}))
    framed = FrameWriter().frames(omnibus_writes(addr, addr))
    results = {
        "omnibus_writes_encode": _rate(8 * n, lambda: omnibus_writes(addr, addr)),
        "spike_injection_encode": _rate(spike_injection(times, labels).nbytes,
                                        lambda: spike_injection(times, labels)),
        "spike_response_decode": _rate(spikes.nbytes,
                                       lambda: ResponseDecoder().feed(spikes)),
        "frame_encode": _rate(8 * n, lambda: FrameWriter().frames(omnibus_writes(addr, addr))),
        "frame_decode": _rate(len(framed), lambda: FrameReader().feed(framed)),
    }
    for name, rate in results.items():
        print(f"{name:>24}: {rate:8.1f} MB/s")
    print(json.dumps({k: round(v, 1) for k, v in results.items()}))


if __name__ == "__main__":
    main()
