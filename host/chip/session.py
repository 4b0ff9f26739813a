"""A chip opened for one run: where it is (a device URL or the embedded emulator's seed), the
connection to it, and the neuron settings of the calibration the run applies.

The commands (`bss2emu train/evaluate/calibrate`) and the Python API open chips through these
functions, so an unreachable device and the calibration choice read the same everywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bss2emu.host.connection import Connection, HostError, connect
from tqdm import tqdm

from bss2emu.errors import InputError

from .calibrated import settings_for
from .neurons import NeuronSettings


class DeviceUnreachable(InputError):
    """The device URL names no device that answers (or the embedded emulator cannot start)."""


@dataclass(frozen=True)
class ChipOptions:
    """Which chip a run uses and how it is calibrated.

    device: URL (socket://HOST:PORT or a pty path), None for an embedded emulator;
    seed: the embedded emulator's chip seed (its identity);
    calibration: "auto" (the chip's file in the calibration directory, made first if missing),
    "none" (uncalibrated) or a calibration file; calibration_dir: where "auto" looks (None: the
    per-user data directory); progress: show a progress bar while calibrating.
    """

    device: str | None = None
    seed: int = 0
    calibration: str = "auto"
    calibration_dir: str | None = None
    progress: bool = True


def connect_chip(device: str | None, seed: int = 0) -> Connection:
    """A connection to `device` (None: an embedded emulator with chip `seed`)."""
    try:
        return connect(device, seed=seed)
    except (HostError, OSError) as err:
        raise DeviceUnreachable(f"cannot reach {device or 'the embedded emulator'}: {err}") \
            from None


@dataclass
class ChipSession:
    """An open chip: its connection and the calibrated neuron settings (None: uncalibrated).
    Closing it closes the connection (and stops an embedded emulator)."""

    connection: Connection
    settings: NeuronSettings | None

    def close(self) -> None:
        """Release the device."""
        self.connection.close()

    def __enter__(self) -> ChipSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_chip(options: ChipOptions, note: Callable[[str], None] = tqdm.write) -> ChipSession:
    """Connect to the chip `options` name and apply its calibration choice (calibrating first
    if "auto" finds no file); `note` receives the lines saying which calibration is used."""
    connection = connect_chip(options.device, options.seed)
    try:
        settings = settings_for(connection, options.device, options.calibration,
                                options.calibration_dir, options.progress, note)
    except BaseException:
        connection.close()
        raise
    return ChipSession(connection, settings)
