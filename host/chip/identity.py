"""A chip's identity for files keyed by it (calibrations): the JTAG IDCODE read through the
protocol plus where the chip is (the embedded emulator's seed, or the device URL)."""
from __future__ import annotations

import re

from bss2emu.host.connection import Connection
from bss2emu.host.program import PlaybackProgramBuilder

CALIBRATION_DIR = "calibrations"


def chip_identity(connection: Connection, url: str | None, seed: int) -> str:
    """e.g. 'hxv3-348580af-embedded-seed0' or 'hxv3-348580af-socket-127.0.0.1-5000'."""
    builder = PlaybackProgramBuilder(timer_setup=False)
    ticket = builder.jtag_idcode()
    connection.run(builder.done())
    idcode = int(ticket.value)
    where = f"embedded-seed{seed}" if url is None else re.sub(r"[^A-Za-z0-9.]+", "-", url)
    return f"hxv3-{idcode:08x}-{where.strip('-')}"


def calibration_path(identity: str) -> str:
    """Default calibration file of a chip."""
    return f"{CALIBRATION_DIR}/{identity}.json"
