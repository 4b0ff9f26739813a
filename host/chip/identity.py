"""A chip's identity for files keyed by it (calibrations), and where those files live.

Every HICANN-X v3 answers the same JTAG IDCODE, so the IDCODE alone cannot tell two chips
apart. An emulated chip also answers the bss2emu extension registers with its seed (which
silicon it is, protocol.fpga_registers): its identity then follows the chip wherever it is
served. A device without them (a real system) is keyed by where it is (its URL), as the real
software keys calibrations by setup.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from bss2emu.host.connection import Connection
from bss2emu.host.program import AccessTimeout, PlaybackProgramBuilder
from bss2emu.protocol import fpga_registers as fr

DATA_DIR_ENV = "BSS2EMU_DATA_DIR"


def chip_identity(connection: Connection, url: str | None) -> str:
    """e.g. 'hxv3-348580af-emulated-seed0', or 'hxv3-348580af-socket-10.0.0.2-5000' for a
    device that does not say which chip it is."""
    builder = PlaybackProgramBuilder(timer_setup=False)
    idcode = builder.jtag_idcode()
    seed = builder.read_many([fr.EMULATED_CHIP_SEED_LOW, fr.EMULATED_CHIP_SEED_HIGH])
    connection.run(builder.done())
    head = f"hxv3-{int(idcode.value):08x}"
    try:
        low, high = (int(v) for v in seed.value)
        return f"{head}-emulated-seed{high << 32 | low}"
    except AccessTimeout:
        where = re.sub(r"[^A-Za-z0-9.]+", "-", url or "embedded").strip("-")
        return f"{head}-{where}"


def calibration_dir(override: str | None = None) -> Path:
    """Where calibrations live: `override` (--calibration-dir), else $BSS2EMU_DATA_DIR, else
    the per-user data directory ($XDG_DATA_HOME, default ~/.local/share) / bss2emu."""
    if override:
        return Path(override)
    base = os.environ.get(DATA_DIR_ENV)
    if not base:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = str(Path(xdg) / "bss2emu")
    return Path(base) / "calibrations"


def calibration_path(identity: str, directory: str | None = None) -> Path:
    """Default calibration file of a chip."""
    return calibration_dir(directory) / f"{identity}.json"
