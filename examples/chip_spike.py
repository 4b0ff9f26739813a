"""Run the emulated chip directly: one neuron whose leak potential lies above its threshold
fires regularly; print its spikes and draw the membrane the MADC recorded.

    python examples/chip_spike.py --duration-us 20
"""
from __future__ import annotations

import argparse

import numpy as np
from bss2emu.chipsim import Chip
from bss2emu.protocol import builders as b
from bss2emu.protocol.clocks import CHIP_CLOCK_HZ, FPGA_CLOCK_HZ


def main() -> None:
    parser = argparse.ArgumentParser(description="one neuron of an emulated chip fires")
    parser.add_argument("--seed", type=int, default=1, help="chip seed (its identity)")
    parser.add_argument("--neuron", type=int, default=0, help="which of the 512 neurons")
    parser.add_argument("--duration-us", type=float, default=20.0, help="emulated time")
    args = parser.parse_args()

    chip = Chip(seed=args.seed)
    n = args.neuron
    chip.write_many(*b.concat(  # haldls' configuration words, built by name
        b.neuron_capmem(n, v_leak=500, v_reset=300, v_threshold=400, i_bias_leak=228),
        b.neuron_config(n, membrane_capacitor_size=63, enable_fire=1,
                        enable_threshold_comparator=1),
        b.neuron_backend(n, refractory_time=20, enable_spike_out=1)))
    result = chip.run(duration=round(args.duration_us * FPGA_CLOCK_HZ / 1e6), record=[n])

    spikes_us = result.spikes["chip_time"][result.spikes["neuron"] == n] * 1e6 / CHIP_CLOCK_HZ
    print(f"neuron {n} of chip {args.seed}: {len(spikes_us)} spikes at "
          + ", ".join(f"{t:.2f}" for t in spikes_us) + " us")

    # the membrane (10-bit MADC codes) at 64 times, 8 levels; '^' below marks the spikes
    trace = result.madc[:, 0].astype(float)
    sample_us = result.madc_time * 1e6 / CHIP_CLOCK_HZ
    picks = np.linspace(0, len(trace) - 1, 64).round().astype(int)
    low, high = trace[1:].min(), trace[1:].max()  # the first sample precedes the first reset
    rows = np.clip(np.round(7 * (trace[picks] - low) / max(high - low, 1.0)), 0, 7)
    for row in range(7, -1, -1):
        print("".join("*" if r == row else " " for r in rows))
    marks = set(np.searchsorted(sample_us[picks], spikes_us).tolist())
    print("".join("^" if col in marks else "-" for col in range(64)))
    print(f"membrane {low:.0f}..{high:.0f} (MADC codes), "
          f"{len(trace)} samples over {sample_us[-1]:.1f} us")


if __name__ == "__main__":
    main()
