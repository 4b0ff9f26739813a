"""Training checkpoints: one .npz holding config, weights, optimiser, bumping and RNG state.

Saved after every epoch so an interrupted run resumes bit-identically.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.errors import LearningInputError

FORMAT_VERSION = 1


@dataclass
class TrainState:
    """Everything needed to continue training after `epoch` completed epochs."""

    config: TrainConfig
    epoch: int
    weights: list[np.ndarray]
    adam_m: list[np.ndarray]
    adam_v: list[np.ndarray]
    adam_steps: int
    bump_layer: int | None
    bump_value: float
    rng_state: dict
    history: list[dict]


def save_checkpoint(path: str | Path, state: TrainState) -> None:
    """Write atomically (temporary file, then rename)."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {
        "format_version": np.array(FORMAT_VERSION),
        "config": np.array(json.dumps(state.config.to_dict())),
        "epoch": np.array(state.epoch),
        "n_layers": np.array(len(state.weights)),
        "adam_steps": np.array(state.adam_steps),
        "bump_layer": np.array(-1 if state.bump_layer is None else state.bump_layer),
        "bump_value": np.array(state.bump_value),
        "rng_state": np.array(json.dumps(state.rng_state)),
        "history": np.array(json.dumps(state.history)),
    }
    for i, (w, m, v) in enumerate(zip(state.weights, state.adam_m, state.adam_v, strict=True)):
        arrays[f"weights_{i}"] = w
        arrays[f"adam_m_{i}"] = m
        arrays[f"adam_v_{i}"] = v
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> TrainState:
    """Read a checkpoint written by `save_checkpoint`; clear errors for anything else."""
    path = Path(path)
    if not path.is_file():
        raise LearningInputError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile):
        raise LearningInputError(f"{path} is not a bss2emu checkpoint (.npz)") from None
    if "format_version" not in arrays:
        raise LearningInputError(f"{path} is not a bss2emu checkpoint (no format version)")
    version = int(arrays["format_version"])
    if version != FORMAT_VERSION:
        raise LearningInputError(
            f"checkpoint {path} has format version {version}; this version reads {FORMAT_VERSION}"
        )
    try:
        n = int(arrays["n_layers"])
        bump_layer = int(arrays["bump_layer"])
        for i in range(n):
            if not np.all(np.isfinite(arrays[f"weights_{i}"])):
                raise LearningInputError(f"checkpoint {path}: the weights of layer {i} are not "
                                         "all finite numbers (NaN or inf)")
        return TrainState(
            config=TrainConfig.from_dict(json.loads(str(arrays["config"]))),
            epoch=int(arrays["epoch"]),
            weights=[arrays[f"weights_{i}"] for i in range(n)],
            adam_m=[arrays[f"adam_m_{i}"] for i in range(n)],
            adam_v=[arrays[f"adam_v_{i}"] for i in range(n)],
            adam_steps=int(arrays["adam_steps"]),
            bump_layer=None if bump_layer < 0 else bump_layer,
            bump_value=float(arrays["bump_value"]),
            rng_state=json.loads(str(arrays["rng_state"])),
            history=json.loads(str(arrays["history"])),
        )
    except (KeyError, ValueError, TypeError) as err:
        raise LearningInputError(f"checkpoint {path} is incomplete or corrupt ({err})") from None
