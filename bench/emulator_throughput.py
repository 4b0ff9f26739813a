"""Throughput of the emulated chip on the paper's Yin-Yang network (25-120-3) mapped as on
BrainScaleS-2: 25 FPGA input channels, one synapse driver per input (excitatory top row,
inhibitory bottom row), 120 hidden neurons in the top hemisphere whose spikes are routed on
chip to the bottom hemisphere's 240 rows (one exc/inh row pair per hidden neuron), 3 label
neurons in the bottom hemisphere routed out to the FPGA. 10,000 samples of 48 us each.

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

from chipsim import Chip, input_events  # noqa: E402
from chipsim.geometry import CHIP_TICK_S, FPGA_CLOCK_HZ  # noqa: E402
from protocol import builders as b  # noqa: E402
from protocol import omnibus as ob  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 25, 120, 3
SAMPLE_US = 48.0
TAU_US = 6.0


def hidden_neuron(i: int) -> int:
    """Top hemisphere, 30 hidden neurons per 32-column block (one block per PADI bus)."""
    return (i // 30) * 32 + i % 30


def output_neuron(j: int) -> int:
    return ob.COLUMNS + j  # bottom hemisphere, columns 0..2


def input_label(i: int) -> int:
    """FPGA label of input channel i: row-select = driver index, synapse label = i."""
    return ((i // 4) << 6) | i


def neuron_writes(neuron: int, address_out: int):
    return b.concat(
        b.neuron_capmem(neuron, v_leak=300, v_reset=290, v_threshold=380, i_bias_leak=228,
                        i_bias_synin_exc_tau=186, i_bias_synin_inh_tau=186,
                        i_bias_synin_exc_gm=550, i_bias_synin_inh_gm=550),
        b.neuron_config(neuron, membrane_capacitance=63, enable_threshold_comparator=1,
                        enable_synaptic_input_exc=1, enable_synaptic_input_inh=1),
        b.neuron_backend(neuron, address_out=address_out, refractory_time=250,
                         reset_holdoff=15, enable_spike_out=1),
    )


def map_network(chip: Chip, w_in: np.ndarray, w_out: np.ndarray) -> None:
    """Write the 25-120-3 network with signed hardware weights (-63..63) onto the chip."""
    writes = []
    for side in range(2):
        writes.append(b.neuron_backend_common(side, clock_scale_slow=3, clock_scale_fast=3))
    for block in range(4):
        writes.append(b.shared_capmem(block, "syn_i_bias_dac", 800))
    for i in range(N_HIDDEN):
        writes.append(neuron_writes(hidden_neuron(i), address_out=hidden_neuron(i) % 32))
    for j in range(N_OUT):
        writes.append(neuron_writes(output_neuron(j), address_out=63 - j))
    # inputs: L2 channel 0 -> top PADI buses only; driver i serves input i
    for bus in range(4):
        writes.append(b.crossbar_node(8, bus, 0, 0))
    writes.append(b.padi_bus(0, 0xF))
    rows_w = np.zeros((2 * N_IN, ob.COLUMNS), np.int64)
    rows_l = np.zeros((2 * N_IN, ob.COLUMNS), np.int64)
    cols = np.array([hidden_neuron(i) for i in range(N_HIDDEN)])
    for i in range(N_IN):
        writes.append(b.synapse_driver(0, i, row_mode_top=1, row_mode_bottom=2,
                                       row_address_compare_mask=0x1F, enable_address_out=1))
        rows_w[2 * i, cols] = np.clip(w_in[i], 0, 63)
        rows_w[2 * i + 1, cols] = np.clip(-w_in[i], 0, 63)
        rows_l[2 * i:2 * i + 2] = input_label(i) & 0x3F
    writes.append(b.synapse_rows(0, np.arange(2 * N_IN), rows_w, rows_l))
    # hidden -> output: neuron outputs 0..3 -> bottom PADI bus k; every bottom driver on bus k
    # listens to all row-selects (compare mask 0); hidden neuron (block k, slot s) owns driver
    # 4 s + k, the synapse label picks it out of its block
    for k in range(4):
        writes.append(b.crossbar_node(k, 4 + k, 0, 0))
        writes.append(b.crossbar_node(k, 8 + k, 0, 0))  # all spikes to the FPGA
    writes.append(b.padi_bus(1, 0xF))
    rows_w = np.zeros((2 * ob.SYNAPSE_DRIVERS, ob.COLUMNS), np.int64)
    rows_l = np.full((2 * ob.SYNAPSE_DRIVERS, ob.COLUMNS), 63, np.int64)
    out_cols = np.arange(N_OUT)
    for i in range(N_HIDDEN):
        k, s = divmod(i, 30)
        d = 4 * s + k
        writes.append(b.synapse_driver(1, d, row_mode_top=1, row_mode_bottom=2,
                                       row_address_compare_mask=0, enable_address_out=1))
        rows_w[2 * d, out_cols] = np.clip(w_out[i], 0, 63)
        rows_w[2 * d + 1, out_cols] = np.clip(-w_out[i], 0, 63)
        rows_l[2 * d:2 * d + 2, out_cols] = s
    writes.append(b.synapse_rows(1, np.arange(2 * ob.SYNAPSE_DRIVERS), rows_w, rows_l))
    chip.write_many(*b.concat(*writes))


def yinyang_like_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Spike times (us) of n samples: (x, y, 1-x, 1-y) encoded in [0.15, 2] tau, bias 0.9 tau,
    each of the 5 channels replicated 5x."""
    xy = rng.random((n, 2))
    values = np.concatenate([xy, 1 - xy], axis=1)
    t = TAU_US * np.concatenate([0.15 + values * 1.85, np.full((n, 1), 0.9)], axis=1)
    return np.repeat(t, 5, axis=1)  # (n, 25)


def build_events(times_us: np.ndarray) -> np.ndarray:
    n = times_us.shape[0]
    offset = np.arange(n)[:, None] * SAMPLE_US
    ticks = np.round((times_us + offset) * 1e-6 * FPGA_CLOCK_HZ).astype(np.int64).ravel()
    labels = np.tile([input_label(i) for i in range(N_IN)], n)
    order = np.argsort(ticks, kind="stable")
    return input_events(ticks[order], labels[order])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    chip = Chip(seed=args.seed)
    w_in = np.round(rng.normal(9.0, 12.0, (N_IN, N_HIDDEN))).astype(int)
    w_out = np.round(rng.normal(6.0, 20.0, (N_HIDDEN, N_OUT))).astype(int)
    map_network(chip, w_in, w_out)
    events = build_events(yinyang_like_inputs(rng, args.samples))
    duration = int(round(args.samples * SAMPLE_US * 1e-6 * FPGA_CLOCK_HZ))
    chip.run(events[:0], 1000)  # settle after configuration (not timed)
    start = time.perf_counter()
    result = chip.run(events, duration)
    wall = time.perf_counter() - start
    hw_time = duration / FPGA_CLOCK_HZ
    spikes = result.spikes
    hidden_active = np.isin(spikes["neuron"], [hidden_neuron(i) for i in range(N_HIDDEN)]).sum()
    out_active = (spikes["neuron"] >= ob.COLUMNS).sum()
    print(f"samples: {args.samples}  hardware time: {hw_time * 1e3:.1f} ms  wall: {wall:.3f} s")
    print(f"spikes: {spikes.size} ({hidden_active / args.samples:.1f} hidden and "
          f"{out_active / args.samples:.2f} label spikes per sample), "
          f"events to FPGA: {result.events.size}")
    print(f"samples/s: {args.samples / wall:.0f}  real-time factor: {hw_time / wall:.3f}")
    assert CHIP_TICK_S > 0
    print(json.dumps({"samples_per_s": round(args.samples / wall, 1),
                      "real_time_factor": round(hw_time / wall, 4)}))


if __name__ == "__main__":
    main()
