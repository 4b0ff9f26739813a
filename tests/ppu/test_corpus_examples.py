"""The example PPU programs (ppu_programs/examples) built with the runtime and run on an
emulated chip: mailbox text, a vectorised synapse-row transform checked against numpy, and
the STDP rule's invariants."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.host.ppu.elf import PpuElfError, read_program
from bss2emu.host.ppu.toolchain import build, mailbox_layout
from bss2emu.protocol import builders as b

from tests.ppu.chip_support import load

EXAMPLES = Path(__file__).resolve().parents[2] / "ppu_programs" / "examples"
RUN_TICKS = 250 * 200  # 200 us of chip time: every example finishes well within


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    return {name: read_program(build([EXAMPLES / f"{name}.c"], folder / f"{name}.elf"))
            for name in ("hello", "scale_row", "stdp")}


def _run(chip: Chip, program) -> bytes:
    """Load into the top PPU, run, return its mailbox (after checking it exited)."""
    load(chip, program)
    chip.run(input_events(np.zeros(0, np.int64), np.zeros(0, np.int64)), RUN_TICKS)
    layout = mailbox_layout()
    sram = chip.ppus[0].core.read_memory(layout["BASE"], layout["SIZE"])
    assert int.from_bytes(sram[:4], "big") == layout["EXIT_MAGIC_VALUE"], "did not exit"
    return sram


def _mailbox_text(mailbox: bytes) -> str:
    layout = mailbox_layout()
    length = int.from_bytes(mailbox[layout["TEXT_LENGTH"]:layout["TEXT_LENGTH"] + 4], "big")
    return mailbox[layout["TEXT"]:layout["TEXT"] + length].decode()


def _weights(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 64, (4, 256))


def test_hello_writes_its_greeting(examples):
    mailbox = _run(Chip(0), examples["hello"])
    assert _mailbox_text(mailbox) == "hello from the PPU 42\n"
    assert int.from_bytes(mailbox[4:8], "big") == 0


@pytest.mark.parametrize(("row", "factor"), [(2, 64), (3, 100)])
def test_scale_row_scales_one_row(examples, row, factor):
    chip = Chip(1)
    weights = _weights(row)
    chip.write_many(*b.synapse_rows(0, np.arange(4), weights, np.zeros_like(weights)))
    program = examples["scale_row"].with_symbol_value("row", row)
    mailbox = _run(chip, program.with_symbol_value("factor", factor))
    expected = weights.copy()
    expected[row] = (weights[row] * factor) >> 7  # Q7 product: high byte of 2 * w * f
    assert np.array_equal(chip.config.weight[0, :4], expected)
    user = mailbox_layout()["USER_WORDS"]
    stored = np.frombuffer(mailbox[user:user + 256], np.uint8)
    assert np.array_equal(stored[:128], expected[row, 0::2])  # even columns first
    assert np.array_equal(stored[128:], expected[row, 1::2])


def test_stdp_keeps_weights_in_range_and_is_idle_at_zero_rate(examples):
    weights = np.clip(_weights(7) * 2 - 32, 0, 63)  # many at the limits 0 and 63
    for eta, rows in ((0, 4), (127, 4)):
        chip = Chip(2)
        chip.write_many(*b.synapse_rows(0, np.arange(4), weights, np.zeros_like(weights)))
        program = examples["stdp"].with_symbol_value("last_row", rows)
        _run(chip, program.with_symbol_value("eta", eta))
        after = chip.config.weight[0, :4]
        assert after.min() >= 0 and after.max() <= 63
        if eta == 0:
            assert np.array_equal(after, weights)


def test_parameters_must_be_integer_variables(examples):
    with pytest.raises(PpuElfError, match="has size 0"):
        examples["hello"].with_symbol_value("__bss_start", 1)
    with pytest.raises(PpuElfError, match="no symbol 'rate'"):
        examples["stdp"].with_symbol_value("rate", 1)
