"""Helpers for the chip-side PPU tests: compile a C snippet against the runtime, load it into
an in-process Chip (through the same omnibus words the host sends), and a one-input,
one-neuron network that a few input spikes make fire."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from bss2emu.chipsim import Chip, input_events
from bss2emu.host.ppu.elf import PpuProgram, read_program
from bss2emu.host.ppu.runner import load_writes, start_write
from bss2emu.host.ppu.toolchain import build, mailbox_layout
from bss2emu.protocol import builders as b

NEURON = 5  # column of the test neuron in the top hemisphere
INPUT_LABEL = 0  # FPGA label: row-select 0 (driver 0), synapse label 0


def compile_c(tmp_path: Path, source: str, name: str = "prog") -> PpuProgram:
    """Build one C file (with the runtime) and read the ELF back."""
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    return read_program(build([src], tmp_path / f"{name}.elf"))


def load(chip: Chip, program: PpuProgram, hemisphere: int = 0, start: bool = True) -> None:
    """Write the program into a PPU's SRAM and release reset (at chip.time)."""
    chip.write_many(*load_writes(program, hemisphere))
    if start:
        chip.write(*start_write(hemisphere))


def mailbox_word(chip: Chip, index: int, hemisphere: int = 0) -> int:
    """User word `index` of a PPU's mailbox, read from its SRAM."""
    layout = mailbox_layout()
    return chip.ppus[hemisphere].read_word(
        (layout["BASE"] + layout["USER_WORDS"] + 4 * index) // 4)


def one_neuron_writes(weight: int = 63) -> b.Writes:
    """Input label 0 drives row 0 (excitatory) of the top array; synapse (0, NEURON) has
    `weight`; at full weight a few inputs make it fire."""
    return b.concat(
        b.common_neuron_backend(0, clock_scale_slow=3, clock_scale_fast=3),
        b.shared_capmem(0, "syn_i_bias_dac", 1000),
        b.neuron_capmem(NEURON, v_leak=300, v_reset=290, v_threshold=380, i_bias_leak=228,
                        i_bias_synin_exc_tau=186, i_bias_synin_inh_tau=186,
                        i_bias_synin_exc_gm=1000, i_bias_synin_inh_gm=550),
        b.neuron_config(NEURON, membrane_capacitor_size=63, enable_fire=1,
                        enable_threshold_comparator=1,
                        enable_synaptic_input_excitatory=1, enable_synaptic_input_inhibitory=1),
        b.neuron_backend(NEURON, address_out=NEURON, refractory_time=20, reset_holdoff=15,
                         enable_spike_out=1),
        b.crossbar_node(8, 0, 0, 0), b.padi_bus(0, 0x1), b.column_currents(0, 1, 1),
        b.synapse_driver(0, 0, enable_receiver=1, row_mode_bottom=1, row_mode_top=0,
                         row_address_compare_mask=0x1F, enable_address_out=1),
        b.synapse_rows(0, np.array([0]), _row(weight), np.zeros((1, 256), np.int64)))


def _row(weight: int) -> np.ndarray:
    row = np.zeros((1, 256), np.int64)
    row[0, NEURON] = weight
    return row


def inputs(times_us: list[float]) -> np.ndarray:
    """Input events on label 0 at the given times (FPGA ticks of 8 ns)."""
    ticks = np.round(np.asarray(times_us) * 125).astype(np.int64)
    return input_events(ticks, np.full(ticks.size, INPUT_LABEL))
