"""The STDP example learns from the correlation sensors: a synapse whose input arrives just
before its neuron fires grows, one whose input arrives just after shrinks, synapses without
activity stay nearly unchanged (network on the emulated chip, rule on its PPU, read out
through the CADC)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob

from .chip_support import NEURON, load, one_neuron_writes

pytest.importorskip("ziglang")
STDP = Path(__file__).resolve().parents[2] / "ppu_programs" / "examples" / "stdp.c"
TEACHER_LABEL = (1 << 6) | 1  # row-select 1: driver 4 on PADI bus 0 (rows 8, 9); label 1
PROBE_WEIGHT = 20


def _chip(seed: int) -> Chip:
    """Row 0: the probe synapse (label 0, weight 20); row 8: a strong teacher synapse that
    makes the neuron fire; correlation sensors on in the neuron's column."""
    chip = Chip(seed)
    chip.write_many(*one_neuron_writes(weight=PROBE_WEIGHT))
    teacher_w = np.zeros((1, 256), np.int64)
    teacher_w[0, NEURON] = 63
    chip.write_many(*b.concat(
        b.synapse_driver(0, 4, enable_receiver=1, row_mode_bottom=1, row_mode_top=0,
                         row_address_compare_mask=0x1F, enable_address_out=1),
        b.synapse_rows(0, np.array([8]), teacher_w, np.ones((1, 256), np.int64))))
    chip.write_many(*b.column_correlation(0, internal_causal=_only(NEURON),
                                          internal_acausal=_only(NEURON)))
    return chip


def _learn(tmp_path: Path, probe_offset_us: float, seed: int = 0) -> tuple[Chip, int]:
    from bss2emu.host.ppu.elf import read_program
    from bss2emu.host.ppu.toolchain import build

    program = read_program(build([STDP], tmp_path / "stdp.elf"))
    program = program.with_symbol_value("first_row", 0).with_symbol_value("last_row", 4)
    program = program.with_symbol_value("eta", 64)
    chip = _chip(seed)
    load(chip, program, start=False)
    t = np.arange(8) * 15.0 + 2.0  # us: each teacher input makes the neuron fire once
    spikes = chip.run(input_events(np.round(t * 125).astype(np.int64),
                                   np.full(t.size, TEACHER_LABEL)), 125 * 130).spikes
    fired = spikes["chip_time"][spikes["neuron"] == NEURON] / 250
    assert fired.size == t.size
    chip = _chip(seed)  # again, now with the probe input placed relative to the spikes
    load(chip, program, start=False)
    probe = fired + probe_offset_us
    times = np.concatenate([t, probe])
    labels = np.concatenate([np.full(t.size, TEACHER_LABEL), np.zeros(probe.size, np.int64)])
    order = np.argsort(times, kind="stable")
    chip.run(input_events(np.round(times[order] * 125).astype(np.int64), labels[order]),
             125 * 130)
    before = int(chip.config.weight[0, 0, NEURON])
    chip.write(ob.ppu_control_address(0), ob.PPU_CONTROL.build(inhibit_reset=1))
    chip.run(None, 125 * 100)
    assert chip.ppus[0].sleeping
    return chip, before


def test_causal_pairs_potentiate(tmp_path):
    chip, before = _learn(tmp_path, probe_offset_us=-0.5)
    assert before == PROBE_WEIGHT
    assert chip.config.weight[0, 0, NEURON] >= PROBE_WEIGHT + 4
    # silent synapses move only by the (uncalibrated) causal/acausal CADC offset difference
    others = np.delete(chip.config.weight[0, 0], NEURON)
    assert others.max() <= 3 < chip.config.weight[0, 0, NEURON] - PROBE_WEIGHT


def test_acausal_pairs_depress(tmp_path):
    chip, _ = _learn(tmp_path, probe_offset_us=+0.5)
    assert chip.config.weight[0, 0, NEURON] <= PROBE_WEIGHT - 4
    assert chip.config.weight[0, 8, NEURON] == 63  # outside the rule's rows 0..3


def _only(column: int) -> np.ndarray:
    """A per-column switch array with one column on."""
    on = np.zeros(256, np.uint32)
    on[column] = 1
    return on
