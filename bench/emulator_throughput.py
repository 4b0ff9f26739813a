"""Throughput of the emulated chip on the paper's Yin-Yang network (25-120-3) mapped as on
BrainScaleS-2 (host/chip/mapping.py): 25 FPGA input channels, one synapse driver per input
(excitatory top row, inhibitory bottom row), 120 hidden neurons in the top hemisphere whose
spikes are routed on chip to the bottom hemisphere's 240 rows (one exc/inh row pair per hidden
neuron), 3 label neurons in the bottom hemisphere routed out to the FPGA. 10,000 samples of
48 us each, run in-process (the wire protocol has its own bench).

Prints samples per second and the real-time factor (hardware time / wall time); the last line
is JSON: {"samples_per_s": ..., "real_time_factor": ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from bss2emu.chipsim import Chip, input_events  # noqa: E402
from bss2emu.chipsim.geometry import FPGA_CLOCK_HZ  # noqa: E402
from bss2emu.host.chip.mapping import map_network  # noqa: E402
from bss2emu.host.chip.neurons import WEIGHT_SCALE  # noqa: E402
from bss2emu.protocol import omnibus as ob  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 25, 120, 3
SAMPLE_US = 48.0
TAU_US = 6.0


def yinyang_like_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Spike times (us) of n samples: (x, y, 1-x, 1-y) encoded in [0.15, 2] tau, bias 0.9 tau,
    each of the 5 channels replicated 5x."""
    xy = rng.random((n, 2))
    values = np.concatenate([xy, 1 - xy], axis=1)
    t = TAU_US * np.concatenate([0.15 + values * 1.85, np.full((n, 1), 0.9)], axis=1)
    return np.repeat(t, 5, axis=1)  # (n, 25)


def build_events(times_us: np.ndarray, input_labels: np.ndarray) -> np.ndarray:
    n = times_us.shape[0]
    offset = np.arange(n)[:, None] * SAMPLE_US
    ticks = np.round((times_us + offset) * 1e-6 * FPGA_CLOCK_HZ).astype(np.int64).ravel()
    labels = np.tile(input_labels, n)
    order = np.argsort(ticks, kind="stable")
    return input_events(ticks[order], labels[order])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    chip = Chip(seed=args.seed)
    # signed hardware weights in the trained regime (most hidden neurons fire once)
    w_in = np.round(rng.normal(9.0, 12.0, (N_IN, N_HIDDEN))) / WEIGHT_SCALE
    w_out = np.round(rng.normal(6.0, 20.0, (N_HIDDEN, N_OUT))) / WEIGHT_SCALE
    placement, writes, _, _ = map_network(w_in, w_out)
    chip.write_many(*writes)
    events = build_events(yinyang_like_inputs(rng, args.samples), placement.input_labels)
    duration = int(round(args.samples * SAMPLE_US * 1e-6 * FPGA_CLOCK_HZ))
    chip.run(events[:0], 1000)  # settle after configuration (not timed)
    start = time.perf_counter()
    result = chip.run(events, duration)
    wall = time.perf_counter() - start
    hw_time = duration / FPGA_CLOCK_HZ
    spikes = result.spikes
    hidden_active = np.isin(spikes["neuron"], placement.hidden_neurons).sum()
    out_active = (spikes["neuron"] >= ob.COLUMNS).sum()
    print(f"samples: {args.samples}  hardware time: {hw_time * 1e3:.1f} ms  wall: {wall:.3f} s")
    print(f"spikes: {spikes.size} ({hidden_active / args.samples:.1f} hidden and "
          f"{out_active / args.samples:.2f} label spikes per sample), "
          f"events to FPGA: {result.events.size}")
    print(f"samples/s: {args.samples / wall:.0f}  real-time factor: {hw_time / wall:.3f}")
    print(json.dumps({"samples_per_s": round(args.samples / wall, 1),
                      "real_time_factor": round(hw_time / wall, 4)}))


if __name__ == "__main__":
    main()
