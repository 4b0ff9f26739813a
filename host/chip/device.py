"""The runner's Device over a host connection: configuration and spike playback as playback
programs through the wire protocol (the only way host code touches a chip)."""
from __future__ import annotations

import numpy as np
from bss2emu.host.connection import Connection
from bss2emu.host.program import PlaybackProgramBuilder


class ProtocolDevice:
    """Device (see host.chip.runner) backed by a `host.connection.Connection`."""

    def __init__(self, connection: Connection, timeout: float | None = None) -> None:
        self.connection = connection
        self.timeout = timeout

    def write(self, addresses: np.ndarray, words: np.ndarray) -> None:
        """Omnibus writes in one program; a rejected access raises."""
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(addresses, words)
        result = self.connection.run(builder.done(), self.timeout)
        if result.timeouts.size:
            raise RuntimeError(f"the device rejected {result.timeouts.size} writes, the first "
                               f"at omnibus address {int(result.timeouts[0]):#010x}")

    def play(self, times: np.ndarray, labels: np.ndarray, duration: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Inject spikes and record the chip's spikes for `duration` FPGA ticks."""
        builder = PlaybackProgramBuilder()
        builder.inject(times, labels)
        builder.wait_until(int(duration))
        result = self.connection.run(builder.done(), self.timeout)
        spikes = result.spikes
        return spikes["time"], spikes["label"]
