"""Speed of the membrane-level work, in emulated milliseconds per wall second, in-process:
AdEx neurons on the time-stepped engine (one tonically firing neuron with adaptation on, then
all 512), and MADC recording of one tonically firing LIF neuron (exact samples on the event
engine, and the same on the stepped engine for comparison), after a short warm-up run. The last
line is JSON:
{"adex_one_ms_per_s", "adex_all_ms_per_s", "madc_event_ms_per_s", "madc_stepped_ms_per_s"}."""
from __future__ import annotations

import argparse
import json
import time

from bss2emu.chipsim import Chip
from bss2emu.chipsim.geometry import FPGA_CLOCK_HZ
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob


def tonic_writes(neurons: range, adaptation: bool) -> b.Writes:
    """Neurons whose leak lies above threshold: they fire tonically (adapting, if asked)."""
    return b.concat(*[b.concat(
        b.neuron_capmem(n, v_leak=600, v_reset=300, v_threshold=400, i_bias_leak=500),
        b.neuron_config(n, membrane_capacitor_size=20, enable_fire=1,
                        enable_threshold_comparator=1, enable_adaptation=int(adaptation)),
        b.neuron_backend(n, refractory_time=2, enable_spike_out=1)) for n in neurons])


def emulated_ms_per_s(neurons: range, ms: float, seed: int, adaptation: bool = True,
                      **run_options) -> tuple[float, int]:
    """(emulated milliseconds per wall second, spikes) of one run."""
    chip = Chip(seed=seed)
    chip.write_many(*tonic_writes(neurons, adaptation))
    ticks = int(round(ms * 1e-3 * FPGA_CLOCK_HZ))
    start = time.perf_counter()
    result = chip.run(duration=ticks, **run_options)
    wall = time.perf_counter() - start
    return ms / wall, int(result.spikes.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ms", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    # the process's first run pays one-time costs (lazy imports, first calls into the C core:
    # ~10 ms, five times a 2 ms one-neuron run itself); a short run first keeps them out
    emulated_ms_per_s(range(1), 0.01, args.seed)
    one, spikes_one = emulated_ms_per_s(range(1), args.ms, args.seed)
    every, spikes_all = emulated_ms_per_s(range(ob.NEURONS), args.ms / 10, args.seed)
    madc = {engine: emulated_ms_per_s(range(1), args.ms, args.seed, adaptation=False,
                                      engine=engine, record=[0])[0]
            for engine in ("event", "stepped")}
    print(f"one AdEx neuron: {one:.2f} emulated ms per wall second ({spikes_one} spikes)")
    print(f"{ob.NEURONS} AdEx neurons: {every:.3f} emulated ms per wall second "
          f"({spikes_all} spikes)")
    print(f"MADC recording one LIF neuron: {madc['event']:.2f} (event engine) vs "
          f"{madc['stepped']:.2f} (stepped engine) emulated ms per wall second")
    print(json.dumps({"adex_one_ms_per_s": round(one, 3), "adex_all_ms_per_s": round(every, 4),
                      "madc_event_ms_per_s": round(madc["event"], 3),
                      "madc_stepped_ms_per_s": round(madc["stepped"], 3)}))


if __name__ == "__main__":
    main()
