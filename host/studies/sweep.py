"""Running a sweep: every pending run of a specification, serially or on a Dask cluster, one
result file per run written by the process that drives the sweep (so workers need no shared
file system), files already present skipped (a stopped sweep resumes where it stopped).

Results do not depend on where a run executes: each is a pure function of its settings and
seeds (`run.run_training`), so a cluster gives the numbers a serial loop gives.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bss2emu.host.studies.run import run_training
from bss2emu.host.studies.spec import Run, SpecError, SweepSpec
from tqdm import tqdm

from bss2emu.errors import InputError

RESULTS = "points"
SETTINGS = "sweep.json"
# settings every run of a sweep directory shares: results made under others cannot be reused
_SHARED = ("mode", "dataset", "epochs", "samples", "tau_ratio", "chip_seed", "calibration")


def claim_directory(spec: SweepSpec) -> None:
    """Record the sweep's shared settings in its directory, or check them against those
    recorded there: a directory's results are only reused by a sweep of the same settings."""
    settings = {key: getattr(spec, key) for key in _SHARED}
    path = spec.out / SETTINGS
    if path.exists():
        recorded = json.loads(path.read_text())
        if recorded != settings:
            changed = [k for k in _SHARED if recorded.get(k) != settings[k]]
            raise SpecError(f"{spec.out} holds a sweep with other {', '.join(changed)} "
                            f"({', '.join(f'{k}={recorded.get(k)!r}' for k in changed)}): "
                            f"choose another out directory")
        return
    if spec.out.exists() and not spec.out.is_dir():
        raise SpecError(f"{spec.out} is a file, not a sweep directory")
    spec.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=1))


def result_path(out: Path, run: Run) -> Path:
    """Where the result of `run` lives."""
    return out / RESULTS / f"{run.name}.json"


def pending_runs(spec: SweepSpec) -> list[Run]:
    """The runs without a result file yet."""
    return [run for run in spec.runs() if not result_path(spec.out, run).exists()]


def save_result(out: Path, run: Run, result: dict) -> None:
    """Write a run's result atomically (a stopped sweep never leaves half a file)."""
    path = result_path(out, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(path)


def load_results(spec: SweepSpec) -> dict[str, dict]:
    """Results present so far, by run name."""
    found = {}
    for run in spec.runs():
        path = result_path(spec.out, run)
        if path.exists():
            found[run.name] = json.loads(path.read_text())
    return found


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[object]:
    """A client of the cluster at `scheduler` (tcp://HOST:PORT), or of a local cluster of
    `workers` processes with one thread each, closed when the block ends."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _serial(runs: list[Run]) -> Iterator[tuple[Run, dict]]:
    for run in runs:
        yield run, run_training(run)


def _on_dask(runs: list[Run], client: object) -> Iterator[tuple[Run, dict]]:
    from distributed import as_completed

    futures = {client.submit(run_training, run, pure=False, key=f"bss2emu-{run.name}"): run
               for run in runs}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        client.cancel(list(futures))


def prepare_chip(spec: SweepSpec) -> None:
    """Chip mode with auto calibration: calibrate the chip once before runs start in parallel
    (each would otherwise calibrate, and write the same file, at the same time)."""
    if spec.mode != "chip" or spec.calibration != "auto":
        return
    from bss2emu.host.chip.session import ChipOptions, open_chip

    with open_chip(ChipOptions(seed=spec.chip_seed, calibration="auto")):
        pass


def run_sweep(spec: SweepSpec, serial: bool = False, scheduler: str | None = None,
              workers: int | None = None, progress: bool = True,
              note: Callable[[str], None] = tqdm.write) -> int:
    """Run every pending run of `spec` and save its result; returns how many ran."""
    claim_directory(spec)
    runs = pending_runs(spec)
    total = len(spec.runs())
    done = total - len(runs)
    if done:
        note(f"{done} of {total} runs already have results in {spec.out / RESULTS}: skipped")
    if not runs:
        return 0
    prepare_chip(spec)
    bar = tqdm(total=total, initial=done, desc="sweep", unit="run", disable=not progress)
    try:
        if serial:
            for run, result in _serial(runs):
                save_result(spec.out, run, result)
                bar.update()
        else:
            count = workers or min(len(runs), os.cpu_count() or 1)
            with dask_client(scheduler, count) as client:
                for run, result in _on_dask(runs, client):
                    save_result(spec.out, run, result)
                    bar.update()
    finally:
        bar.close()
    return len(runs)
