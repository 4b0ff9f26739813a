"""A sweep's specification (a small TOML file) and the training runs it asks for.

    mode = "software"                 # or "chip"
    dataset = "yinyang"
    epochs = 300
    seeds = [0, 1, 2]                 # training and distortion seed of each repetition
    conditions = ["loop", "test"]     # distortion in the loop, or at test time only
    out = "runs/distortion_study"     # relative to the spec file's directory
    samples = 0                       # optional: the first N samples of every split (0: all)
    tau_ratio = 1                     # optional
    chip_seed = 0                     # optional, chip mode: the embedded chip's seed
    calibration = "auto"              # optional, chip mode: auto, none or a file

    [axes]                            # distortion name = magnitudes ("off" or 0: none)
    jitter = [0, 0.05, 0.1, 0.2, 0.4]
    weight_bits = ["off", 6, 4, 3, 2]

Every (axis, magnitude, condition, seed) is a point; a point without a distortion is the clean
run of its seed, shared by all axes and both conditions, so it is trained once.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from bss2emu.host.learning.dataset import DATASETS
from bss2emu.host.learning.distortions import CONDITIONS, Distortions
from bss2emu.host.learning.errors import LearningInputError

# distortion names an axis may sweep (the magnitudes of `Distortions`)
AXES = ("jitter", "tau_ratio_spread", "threshold_spread", "weight_bits", "weight_range",
        "dead_fraction")
SPEC_MODES = ("software", "chip")
OFF = "off"
_KEYS = {"mode", "dataset", "epochs", "seeds", "conditions", "out", "samples", "tau_ratio",
         "chip_seed", "calibration", "axes"}


class SpecError(LearningInputError):
    """A sweep specification that cannot be run; the message names the file and the problem."""


@dataclass(frozen=True)
class Run:
    """One training run of a sweep: everything a worker needs, picklable."""

    name: str
    mode: str
    dataset: str
    epochs: int
    seed: int
    samples: int
    tau_ratio: int
    chip_seed: int
    calibration: str
    distortions: dict | None


@dataclass(frozen=True)
class Point:
    """One cell of the study: an axis at a magnitude under a condition, for one seed."""

    axis: str
    magnitude: float | int | str
    condition: str
    seed: int
    run: Run


@dataclass(frozen=True)
class SweepSpec:
    """A parsed, checked specification."""

    path: Path
    mode: str
    dataset: str
    epochs: int
    seeds: list[int]
    conditions: list[str]
    out: Path
    axes: dict[str, list]
    samples: int = 0
    tau_ratio: int = 1
    chip_seed: int = 0
    calibration: str = "auto"
    points: list[Point] = field(default_factory=list)

    def runs(self) -> list[Run]:
        """The distinct training runs of all points, in point order."""
        seen: dict[str, Run] = {}
        for point in self.points:
            seen.setdefault(point.run.name, point.run)
        return list(seen.values())


def clean_of(run: Run) -> Run:
    """The clean run of `run`'s seed: the same settings without a distortion."""
    return replace(run, name=f"clean-seed{run.seed}", distortions=None)


def _fail(path: Path, message: str) -> SpecError:
    return SpecError(f"{path}: {message}")


def _int(path: Path, key: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _fail(path, f"{key} must be an integer >= {least}, got {value!r}")
    return value


def _magnitude_label(value: float | int | str) -> str:
    return OFF if value == OFF else f"{value:g}"


def _distortions(path: Path, axis: str, value: object, condition: str, seed: int
                 ) -> dict | None:
    """The distortion of one point, None for the clean run (magnitude "off" or 0)."""
    if value == OFF or (not isinstance(value, bool) and isinstance(value, int | float)
                        and value == 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, f"axis {axis}: magnitudes must be numbers or \"off\", got {value!r}")
    try:
        return Distortions(**{axis: value}, condition=condition, seed=seed).to_dict()
    except LearningInputError as err:
        raise _fail(path, f"axis {axis}: {err}") from None


def _run(spec: dict, path: Path, seed: int, name: str, distortions: dict | None) -> Run:
    return Run(name=name, mode=spec["mode"], dataset=spec["dataset"], epochs=spec["epochs"],
               seed=seed, samples=spec["samples"], tau_ratio=spec["tau_ratio"],
               chip_seed=spec["chip_seed"], calibration=spec["calibration"],
               distortions=distortions)


def load_spec(path: str | Path, epochs: int | None = None) -> SweepSpec:
    """Read and check a TOML specification; every problem is a one-line SpecError. `epochs`,
    if given, replaces the spec's epoch count (e.g. a shorter trial of a long study)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise _fail(path, "does not exist") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory, not a sweep specification") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise _fail(path, f"not a TOML sweep specification ({err})") from None
    unknown = set(raw) - _KEYS
    if unknown:
        raise _fail(path, f"unknown keys {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KEYS))})")
    for key in ("epochs", "seeds", "axes", "out"):
        if key not in raw:
            raise _fail(path, f"needs {key}")
    spec = {
        "mode": raw.get("mode", "software"),
        "dataset": raw.get("dataset", "yinyang"),
        "epochs": _int(path, "epochs", raw["epochs"] if epochs is None else epochs, 1),
        "samples": _int(path, "samples", raw.get("samples", 0), 0),
        "tau_ratio": raw.get("tau_ratio", 1),
        "chip_seed": _int(path, "chip_seed", raw.get("chip_seed", 0), 0),
        "calibration": raw.get("calibration", "auto"),
    }
    if spec["mode"] not in SPEC_MODES:
        raise _fail(path, f"mode must be one of {', '.join(SPEC_MODES)}, got {spec['mode']!r}")
    if spec["dataset"] not in DATASETS or spec["dataset"] == "mnist":
        raise _fail(path, f"dataset must be yinyang or digits, got {spec['dataset']!r}")
    if spec["tau_ratio"] not in (1, 2):
        raise _fail(path, f"tau_ratio must be 1 or 2, got {spec['tau_ratio']!r}")
    if not isinstance(spec["calibration"], str):
        raise _fail(path, "calibration must be auto, none or a file name")
    seeds = raw["seeds"]
    if not isinstance(seeds, list) or not seeds:
        raise _fail(path, "seeds must be a non-empty list of integers")
    seeds = [_int(path, "every seed", s, 0) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise _fail(path, "seeds repeat")
    conditions = raw.get("conditions", list(CONDITIONS))
    if (not isinstance(conditions, list) or not conditions
            or any(c not in CONDITIONS for c in conditions) or len(set(conditions)) < len(
                conditions)):
        raise _fail(path, f"conditions must be a list of distinct {' / '.join(CONDITIONS)}, "
                          f"got {conditions!r}")
    if not isinstance(raw["out"], str) or not raw["out"]:
        raise _fail(path, "out must be a directory name")
    axes = raw["axes"]
    if not isinstance(axes, dict) or not axes:
        raise _fail(path, f"[axes] must name at least one of {', '.join(AXES)}")
    points = []
    for axis, magnitudes in axes.items():
        if axis not in AXES:
            raise _fail(path, f"unknown axis {axis!r} (choose from {', '.join(AXES)})")
        if not isinstance(magnitudes, list) or not magnitudes:
            raise _fail(path, f"axis {axis} needs a non-empty list of magnitudes")
        if spec["mode"] == "chip" and axis in ("tau_ratio_spread", "threshold_spread"):
            raise _fail(path, f"axis {axis} is modelled in software mode only (a chip has its "
                              "own spread)")
        for magnitude in magnitudes:
            for condition in conditions:
                for seed in seeds:
                    distortions = _distortions(path, axis, magnitude, condition, seed)
                    run = _run(spec, path, seed,
                               f"{axis}-{_magnitude_label(magnitude)}-{condition}-seed{seed}",
                               distortions)
                    points.append(Point(axis, magnitude, condition, seed,
                                        clean_of(run) if distortions is None else run))
    out = Path(raw["out"])
    return SweepSpec(path=path, mode=spec["mode"], dataset=spec["dataset"],
                     epochs=spec["epochs"], seeds=seeds, conditions=conditions,
                     out=out if out.is_absolute() else path.parent / out, axes=axes,
                     samples=spec["samples"], tau_ratio=spec["tau_ratio"],
                     chip_seed=spec["chip_seed"], calibration=spec["calibration"],
                     points=points)
