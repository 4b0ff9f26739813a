"""Checks of the paths and numbers commands are given, done before any work starts so that a
bad `--out` or seed costs nothing (UserError: one line, exit status 2)."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

from bss2emu.tools.cli import UserError

RUN_FILES = ("checkpoint.npz", "metrics.json")
"""A directory holding one of these holds a run."""
PLOTS = ("learning_curves.png", "label_times.png", "class_map.png")


def run_directory(path: str, *, resume: str | None, force: bool) -> Path:
    """The output directory of a run: creatable and writable, not a file, and not holding
    another run unless that run is being resumed (or `force`, which removes its old plots)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {path} is a file, not a directory")
    _writable(out, "--out")
    holds = [name for name in RUN_FILES if (out / name).exists()]
    resuming = resume is not None and Path(resume).resolve().parent == out.resolve()
    if holds and not (resuming or force):
        raise UserError(f"--out {path} already holds a run ({', '.join(holds)}): resume it "
                        f"with --resume {out / RUN_FILES[0]}, choose another --out, or "
                        f"overwrite it with --force")
    if force and not resuming:
        for name in PLOTS:
            (out / name).unlink(missing_ok=True)
    return out


def output_file(path: str, option: str) -> Path:
    """A file to be written: not a directory, its directory creatable and writable."""
    out = Path(path)
    if out.is_dir():
        raise UserError(f"{option} {path} is a directory, not a file")
    _writable(out.parent, option, path)
    return out


def non_negative_int(value: int | None, option: str) -> None:
    if value is not None and value < 0:
        raise UserError(f"{option} must be >= 0, got {value}")


def positive_finite(value: float, option: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise UserError(f"{option} must be a positive finite number, got {value}")


def existing_file(path: str, what: str) -> Path:
    """An input file that exists and is not a directory."""
    p = Path(path)
    if p.is_dir():
        raise UserError(f"{what} {path} is a directory, not a file")
    if not p.exists():
        raise UserError(f"{what} {path} does not exist")
    return p


def _writable(directory: Path, option: str, path: str | Path | None = None) -> None:
    """A file can be created in `directory` (or, if it does not exist yet, in the nearest
    existing directory above it); nothing is left behind."""
    probe = directory
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, "not a directory")
        tempfile.TemporaryFile(dir=probe).close()
    except OSError as err:
        raise UserError(f"{option} {path or directory}: cannot write there "
                        f"({err.strerror})") from None
