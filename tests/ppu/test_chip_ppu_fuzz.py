"""Random programs on the chip's PPUs never crash the emulator: random instruction words mixed
with omnibus loads/stores and vector I/O aimed at every region (and at nothing), exceptions
vectoring into random code, both PPUs at once, while the network runs."""
from __future__ import annotations

from collections import Counter

import numpy as np
from bss2emu.chipsim import Chip
from bss2emu.chipsim.ppu.bus import REGIONS
from bss2emu.chipsim.ppu.fxv_isa import encode

from .chip_support import inputs, one_neuron_writes

# omnibus word addresses the bases point at: spike counters, synapse quads, CapMem, neuron
# reset, PPU memory/control, the column switches, and nothing
OMNIBUS_TARGETS = (0x0012_2800, 0x02C0_0000, 0x0014_0000, 0x0012_2000, 0x0380_0000,
                   0x03A0_0001, 0x0200_1000, 0x0123_4567)


def _li(reg: int, value: int) -> list[int]:
    """lis reg, hi; ori reg, reg, lo"""
    return [(15 << 26) | (reg << 21) | (value >> 16), (24 << 26) | (reg << 21) | (reg << 16)
            | (value & 0xFFFF)]


def _image(rng: np.random.Generator) -> bytes:
    words = []
    for k, target in enumerate(rng.choice(OMNIBUS_TARGETS, 4)):
        words += _li(20 + k, 0x8000_0000 | (int(target) << 2))
    bases = [r.base for r in REGIONS] + [0x8000_0000, 0x0777_0000]
    for k in range(8):
        words += _li(24 + k, int(rng.choice(bases)) + int(rng.integers(0, 4)))
    while len(words) < 4096:
        kind = rng.integers(0, 5)
        if kind == 0:  # lwz/stw rT, d(r20..r23)
            op = 32 if rng.integers(0, 2) else 36
            words.append((op << 26) | (int(rng.integers(3, 20)) << 21)
                         | (int(rng.integers(20, 24)) << 16) | (4 * int(rng.integers(0, 4))))
        elif kind == 1:  # fxvinx/fxvoutx with (r24..r27) + (r28..r31)
            words.append(encode(str(rng.choice(["fxvinx", "fxvoutx"])), int(rng.integers(0, 32)),
                                int(rng.integers(24, 28)), int(rng.integers(28, 32)),
                                c=int(rng.integers(0, 4))))
        elif kind == 2:  # addi rT, rT, small: moves the I/O addresses around
            reg = int(rng.integers(24, 32))
            words.append((14 << 26) | (reg << 21) | (reg << 16) | int(rng.integers(0, 3)))
        else:
            words.append(int(rng.integers(0, 1 << 32)))
    return b"".join(int(w).to_bytes(4, "big") for w in words)


def test_random_programs_never_crash_the_chip(monkeypatch):
    from bss2emu.chipsim.ppu import bus

    kinds: Counter = Counter()
    serve = bus.serve

    def counting(chip, unit):
        kinds[unit.pending.kind.name] += 1
        serve(chip, unit)

    monkeypatch.setattr(bus, "serve", counting)
    rng = np.random.default_rng(2024)
    served = 0
    for trial in range(24):
        chip = Chip(trial)
        chip.write_many(*one_neuron_writes())
        for h in range(2):
            chip.ppus[h].core.write_memory(0, _image(rng))
            chip.ppus[h].write_control({"inhibit_reset": 1, "force_clock_on": 0,
                                        "force_clock_off": 0, "cache_controller_enable": 0}, 0)
        result = chip.run(inputs([1, 2, 3, 5, 8]), 125 * 12)
        served += sum(int(u.core.instret) for u in chip.ppus)
        assert chip.time == 2 * 125 * 12  # the run reached its end (chip ticks)
        assert np.all(np.diff(result.spikes["chip_time"]) >= 0)
        # the chip still answers the host afterwards
        assert chip.read(0x0012_2800 + 4 * 5) >= 0
    assert served > 10_000
    assert min(kinds[k] for k in ("LOAD", "STORE", "VIN", "VOUT")) >= 20, kinds
