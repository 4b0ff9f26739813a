"""The runner's Device over a host connection: configuration and spike playback as playback
programs through the wire protocol (the only way host code touches a chip)."""
from __future__ import annotations

import numpy as np
from bss2emu.host.connection import Connection
from bss2emu.host.program import PlaybackProgramBuilder, ProgramResult


class ProtocolDevice:
    """Device (see host.chip.runner) backed by a `host.connection.Connection`."""

    def __init__(self, connection: Connection, timeout: float | None = None) -> None:
        self.connection = connection
        self.timeout = timeout

    def write(self, addresses: np.ndarray, words: np.ndarray) -> None:
        """Omnibus writes in one program; a rejected access raises."""
        builder = PlaybackProgramBuilder(timer_setup=False)
        builder.write_many(addresses, words)
        _check_writes(self.connection.run(builder.done(), self.timeout))

    def play(self, times: np.ndarray, labels: np.ndarray, duration: int,
             writes: tuple[np.ndarray, np.ndarray] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Inject spikes and record the chip's spikes for `duration` FPGA ticks, in one program
        that first does the omnibus `writes` (addresses, words) if given; a rejected write
        raises (after the playback)."""
        builder = PlaybackProgramBuilder(timer_setup=writes is None)
        if writes is not None:
            builder.write_many(*writes)
            builder.timer_setup()
        builder.inject(times, labels)
        builder.wait_until(int(duration))
        result = self.connection.run(builder.done(), self.timeout)
        if writes is not None:
            _check_writes(result)
        spikes = result.spikes
        return spikes["time"], spikes["label"]


def _check_writes(result: ProgramResult) -> None:
    """RuntimeError naming the first omnibus write the device rejected, if any."""
    if (why := result.rejection("writes")) is not None:
        raise RuntimeError(why)
