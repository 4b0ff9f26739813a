"""An in-process chip behind the runner's Device interface, for host-side tests that do not
need the wire (the protocol path is tested in tests/conformance)."""
from __future__ import annotations

import numpy as np
from bss2emu.chipsim import Chip, input_events


class InProcessDevice:
    def __init__(self, chip: Chip) -> None:
        self.chip = chip

    def write(self, addresses: np.ndarray, words: np.ndarray) -> None:
        self.chip.write_many(addresses, words)

    def play(self, times, labels, duration, writes=None):
        if writes is not None:
            self.chip.write_many(*writes)
        events = self.chip.run(input_events(times, labels), duration).events
        return events["time"], events["label"]
