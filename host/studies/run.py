"""One training run of a sweep, as a plain function of its `Run`: what a Dask worker executes;
and the cheap stand-in for a test-only point, its seed's clean network tested under the point's
distortion.

A test-only point ("test" condition) trains on the clean substrate with the clean run's
configuration and seeds, so its training is the clean run's training, bit for bit; only the
final test differs. `evaluate_on_clean` therefore resumes a trainer from the clean run's final
state with the point's configuration and calls the same `Trainer.test` a full run calls at its
end (the same distorted test backend, reseeded for the same phase and epoch), so the record is
the one a full run would write.

Records are JSON-ready dicts computed only from the run's settings and seeds, so the same run
gives the same numbers in any process (timings aside, which are kept apart in `seconds`).
"""
from __future__ import annotations

import json
import time

from bss2emu.host.chip.session import ChipOptions
from bss2emu.host.learning.checkpoint import TrainState
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset, load_training_data
from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.modes import config_for, open_trainer
from bss2emu.host.studies.spec import Run, clean_of


def _setup(run: Run) -> tuple[TrainConfig, Dataset, ChipOptions]:
    """The run's configuration, data and chip options."""
    config = config_for(run.mode, run.dataset, run.tau_ratio)
    config.epochs, config.seed, config.distortions = run.epochs, run.seed, run.distortions
    data = load_training_data(config)
    if run.samples:
        data = data.head(run.samples)
    chip = ChipOptions(seed=run.chip_seed, calibration=run.calibration, progress=False)
    return config, data, chip


def _record(run: Run, config: TrainConfig, data: Dataset, history: list[dict],
            test: tuple[float, float], seconds: dict) -> dict:
    """The result record of a run tested with (loss, accuracy) `test` after `history`."""
    return {
        "name": run.name,
        "mode": run.mode,
        "dataset": run.dataset,
        "seed": run.seed,
        "epochs": run.epochs,
        "samples": run.samples or len(data.train),
        "distortions": run.distortions,
        "test_accuracy": test[1],
        "test_loss": test[0],
        "history": [{k: v for k, v in epoch.items() if k != "seconds"} for epoch in history],
        "config": config.to_dict(),
        "seconds": seconds,
    }


def train_run(run: Run) -> tuple[dict, TrainState]:
    """Train `run` to its last epoch and test it; returns the result record and the final
    training state (what test-only points of the same seed are evaluated from)."""
    start = time.perf_counter()
    config, data, chip = _setup(run)
    with open_trainer(run.mode, config, data, chip) as trainer:
        trainer.train(config.epochs)
        test_loss, test_accuracy, _ = trainer.test()
        state = trainer.state()
    seconds = {"total": time.perf_counter() - start,
               "epochs": [epoch["seconds"] for epoch in trainer.history]}
    return _record(run, config, data, trainer.history, (test_loss, test_accuracy),
                   seconds), state


def evaluate_on_clean(run: Run, clean: TrainState) -> dict:
    """The record of test-only point `run` from `clean`, the final state of its seed's clean
    run: that run's network and history, tested under `run`'s distortion exactly as a full
    training of `run` would test at its end."""
    start = time.perf_counter()
    if not run.distortions or run.distortions["condition"] != "test":
        raise LearningInputError(f"{run.name}: only a test-only distortion can be evaluated "
                                 "on a clean network")
    config, data, chip = _setup(run)
    expected = json.dumps(config.to_dict() | {"distortions": None}, sort_keys=True)
    if json.dumps(clean.config.to_dict(), sort_keys=True) != expected or clean.epoch != run.epochs:
        raise LearningInputError(f"{run.name}: the clean state given was trained with another "
                                 "configuration")
    with open_trainer(run.mode, config, data, chip, state=clean) as trainer:
        test_loss, test_accuracy, _ = trainer.test()
    seconds = {"total": time.perf_counter() - start,
               "epochs": [epoch["seconds"] for epoch in clean.history],
               "trained_as": clean_of(run).name}
    return _record(run, config, data, clean.history, (test_loss, test_accuracy), seconds)
