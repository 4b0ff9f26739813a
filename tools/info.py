"""`bss2emu info`: the emulated chip's identity, geometry, clocks and fixed-pattern noise."""
from __future__ import annotations

import argparse

import numpy as np

HELP = "show the emulated chip's geometry, clocks and per-chip parameter spread"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="chip seed (its identity)")


def run(args: argparse.Namespace) -> int:
    from bss2emu.chipsim import Chip, ChipError
    from bss2emu.chipsim.geometry import CHIP_CLOCK_HZ, FPGA_CLOCK_HZ, MADC_SAMPLE_INTERVAL_TICKS
    from bss2emu.protocol import builders as b
    from bss2emu.protocol import omnibus as ob
    from bss2emu.tools.cli import UserError

    try:
        chip = Chip(seed=args.seed)
    except ChipError as err:
        raise UserError(str(err)) from None
    writes = [b.neuron_capmem(n, v_leak=300, v_reset=290, v_threshold=380, i_bias_leak=228,
                              i_bias_synin_exc_tau=186, i_bias_synin_inh_tau=186)
              for n in range(ob.NEURONS)]
    writes += [b.neuron_config(n, membrane_capacitor_size=63) for n in range(ob.NEURONS)]
    chip.write_many(*b.concat(*writes))
    p = chip.parameters
    tick_us = 1e6 / CHIP_CLOCK_HZ
    print(f"chip seed {args.seed}: HICANN-X v3, JTAG IDCODE {chip.jtag_id:#010x}")
    print(f"neurons {ob.NEURONS} ({ob.HEMISPHERES} x {ob.COLUMNS}), synapses "
          f"{ob.HEMISPHERES} x {ob.SYNAPSE_ROWS} x {ob.COLUMNS}, drivers "
          f"{ob.HEMISPHERES} x {ob.SYNAPSE_DRIVERS}, crossbar {ob.CROSSBAR_INPUTS} x "
          f"{ob.CROSSBAR_OUTPUTS}")
    print(f"clocks: chip {CHIP_CLOCK_HZ / 1e6:.0f} MHz, FPGA {FPGA_CLOCK_HZ / 1e6:.0f} MHz, "
          f"MADC {1e-6 / (MADC_SAMPLE_INTERVAL_TICKS * tick_us * 1e-6):.1f} MSa/s")
    print("uncalibrated spread at uniform CapMem codes (mean, std/mean):")
    for name, values, unit in (("tau_mem", p.tau_mem * tick_us, "us"),
                               ("tau_syn_exc", p.tau_syn_exc * tick_us, "us"),
                               ("tau_syn_inh", p.tau_syn_inh * tick_us, "us"),
                               ("v_threshold", p.v_threshold * 1e3, "mV"),
                               ("v_leak", p.e_leak * 1e3, "mV")):
        spread = np.std(values) / np.mean(values)
        print(f"  {name:12s} {np.mean(values):8.2f} {unit:2s}  {spread:6.1%}")
    return 0
