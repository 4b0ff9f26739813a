"""One training run of a sweep, as a plain function of its `Run`: what a Dask worker executes.

The result is a JSON-ready dict computed only from the run's settings and seeds, so the same
run gives the same numbers in any process (timings aside, which are kept apart in `seconds`).
"""
from __future__ import annotations

import time

from bss2emu.host.chip.session import ChipOptions
from bss2emu.host.learning.dataset import load_training_data
from bss2emu.host.modes import config_for, open_trainer
from bss2emu.host.studies.spec import Run


def run_training(run: Run) -> dict:
    """Train `run` to its last epoch and test it; returns the result record."""
    start = time.perf_counter()
    config = config_for(run.mode, run.dataset, run.tau_ratio)
    config.epochs, config.seed, config.distortions = run.epochs, run.seed, run.distortions
    data = load_training_data(config)
    if run.samples:
        data = data.head(run.samples)
    chip = ChipOptions(seed=run.chip_seed, calibration=run.calibration, progress=False)
    with open_trainer(run.mode, config, data, chip) as trainer:
        trainer.train(config.epochs)
        test_loss, test_accuracy, _ = trainer.test()
    history = [{k: v for k, v in epoch.items() if k != "seconds"} for epoch in trainer.history]
    return {
        "name": run.name,
        "mode": run.mode,
        "dataset": run.dataset,
        "seed": run.seed,
        "epochs": run.epochs,
        "samples": run.samples or len(data.train),
        "distortions": run.distortions,
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "history": history,
        "config": config.to_dict(),
        "seconds": {"total": time.perf_counter() - start,
                    "epochs": [epoch["seconds"] for epoch in trainer.history]},
    }
