"""Which calibration a chip-mode run uses: the chip's own file (found by its identity in the
calibration directory, made first if missing), a given file, or none; a calibration made on
another chip is refused."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bss2emu.host.connection import Connection
from tqdm import tqdm

from bss2emu.errors import InputError

from .calibration import Calibration, Calibrator
from .identity import calibration_path, chip_identity
from .mapping import MAX_HIDDEN, MAX_INPUTS, MAX_LABELS, Placement
from .neurons import NeuronSettings


class CalibrationError(InputError):
    """A calibration file that cannot be used (unreadable, old format, another chip)."""


def default_neurons() -> np.ndarray:
    """Every neuron the chip mapping can use (128 hidden, 32 label neurons)."""
    placement = Placement(MAX_INPUTS, MAX_HIDDEN, MAX_LABELS)
    return np.concatenate([placement.hidden_neurons, placement.label_neurons])


def run_calibration(connection: Connection, identity: str, neurons: np.ndarray, rounds: int,
                    progress: bool = True) -> Calibration:
    """Calibrate `neurons` of the connected chip in `rounds` measure-and-update rounds."""
    calibrator = Calibrator(connection, neurons)
    bar = tqdm(total=rounds, desc="calibration rounds", disable=not progress, leave=False)
    before, after = calibrator.calibrate(rounds, progress=lambda r, m: bar.update())
    bar.close()
    return Calibration(identity, calibrator.codes, before.spread(), after.spread())


def load_for(path: str | Path, identity: str) -> Calibration:
    """A calibration file, checked to belong to the chip `identity`."""
    try:
        calibration = Calibration.load(path)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
        raise CalibrationError(f"cannot use calibration {path}: {err}") from None
    if calibration.chip_id != identity:
        raise CalibrationError(f"calibration {path} was made on chip {calibration.chip_id}, "
                               f"this is chip {identity}: calibrate this chip (bss2emu "
                               f"calibrate) or run with --calibration none")
    return calibration


def settings_for(connection: Connection, url: str | None, choice: str,
                 directory: str | None = None, progress: bool = True,
                 note: Callable[[str], None] = print) -> NeuronSettings | None:
    """Neuron settings for `--calibration` `choice`: "none", a file, or "auto" (the chip's
    file in the calibration directory, calibrating and saving it first if there is none)."""
    if choice == "none":
        return None
    identity = chip_identity(connection, url)
    if choice != "auto":
        return load_for(choice, identity).settings()
    path = calibration_path(identity, directory)
    if path.exists():
        note(f"using calibration {path}")
        return load_for(path, identity).settings()
    note(f"no calibration for chip {identity} yet: calibrating ({path})")
    calibration = run_calibration(connection, identity, default_neurons(), 4, progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    calibration.save(path)
    return calibration.settings()
