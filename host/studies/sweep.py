"""Running a sweep: every pending run of a specification, serially or on a Dask cluster, one
result file per run written by the process that drives the sweep (so workers need no shared
file system), files already present skipped (a stopped sweep resumes where it stopped).

Results do not depend on where a run executes: each is a pure function of its settings and
seeds (`run.train_run`), so a cluster gives the numbers a serial loop gives. A test-only point
is not trained: its training would be its seed's clean run, so the clean run's final state
(kept in `states/` for resuming, handed from task to task on Dask) is tested under the point's
distortion (`run.evaluate_on_clean`), which writes the record a full run would.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from bss2emu.host.learning.checkpoint import TrainState, load_checkpoint, save_checkpoint
from bss2emu.host.studies.run import evaluate_on_clean, train_run
from bss2emu.host.studies.spec import Run, SpecError, SweepSpec, clean_of
from tqdm import tqdm

from bss2emu.errors import InputError

RESULTS = "points"
STATES = "states"
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


def state_path(out: Path, run: Run) -> Path:
    """Where the final training state of clean run `run` lives (what its seed's test-only
    points are evaluated from when a sweep resumes)."""
    return out / STATES / f"{run.name}.npz"


def reuses_clean(run: Run) -> bool:
    """Whether `run` is evaluated on its seed's clean network instead of trained: a test-only
    distortion, whose training is the clean run's. Software mode only: a chip-mode point's test
    would run on a chip other than the one that trained, which is not shown to match."""
    return (run.mode == "software" and run.distortions is not None
            and run.distortions["condition"] == "test")


@dataclass(frozen=True)
class Work:
    """What a sweep still has to do: runs to train (clean runs first), test-only points to
    evaluate on their seed's clean network, and the clean states already stored, by name."""

    train: list[Run]
    evaluate: list[Run]
    stored: dict[str, TrainState]


def plan(spec: SweepSpec, reuse: bool = True) -> Work:
    """The pending work of `spec`; without `reuse` every pending point is trained in full. A
    clean run whose state is needed but not stored is trained again (its result is kept)."""
    pending = pending_runs(spec)
    evaluate = [run for run in pending if reuse and reuses_clean(run)]
    train = [run for run in pending if run not in evaluate]
    stored: dict[str, TrainState] = {}
    for run in evaluate:
        clean = clean_of(run)
        path = state_path(spec.out, clean)
        if clean.name in stored or clean in train:
            continue
        if path.exists():
            stored[clean.name] = load_checkpoint(path)
        else:
            train.append(clean)
    train.sort(key=lambda run: run.distortions is not None)
    return Work(train, evaluate, stored)


# (run, its result record, its final training state or None for an evaluated point)
Outcome = tuple[Run, dict, TrainState | None]


def _serial(work: Work) -> Iterator[Outcome]:
    states = dict(work.stored)
    for run in work.train:
        record, state = train_run(run)
        states[run.name] = state
        yield run, record, state
    for run in work.evaluate:
        yield run, evaluate_on_clean(run, states[clean_of(run).name]), None


def _on_dask(work: Work, client: object) -> Iterator[Outcome]:
    """Training tasks, and evaluation tasks depending on their clean run's task (or on its
    stored state, scattered): states travel between workers, no shared disk needed."""
    from distributed import as_completed

    futures, trained = {}, {}
    for run in work.train:
        future = client.submit(train_run, run, pure=False, key=f"bss2emu-{run.name}")
        futures[future], trained[run.name] = (run, True), future
    states = {name: client.scatter(state) for name, state in work.stored.items()}
    for run in work.evaluate:
        name = clean_of(run).name
        if name not in states:
            states[name] = client.submit(itemgetter(1), trained[name], pure=False,
                                         key=f"bss2emu-state-{name}")
        future = client.submit(evaluate_on_clean, run, states[name], pure=False,
                               key=f"bss2emu-{run.name}")
        futures[future] = (run, False)
    try:
        for future in as_completed(futures):
            run, training = futures[future]
            if training:
                yield run, *future.result()
            else:
                yield run, future.result(), None
    finally:
        client.cancel([*futures, *states.values()])


def prepare_chip(spec: SweepSpec) -> None:
    """Chip mode with auto calibration: calibrate the chip once before runs start in parallel
    (each would otherwise calibrate, and write the same file, at the same time)."""
    if spec.mode != "chip" or spec.calibration != "auto":
        return
    from bss2emu.host.chip.session import ChipOptions, open_chip

    with open_chip(ChipOptions(seed=spec.chip_seed, calibration="auto")):
        pass


class Done(NamedTuple):
    """What a sweep did: training runs, and test-only points evaluated on a clean network."""

    trained: int
    evaluated: int


def run_sweep(spec: SweepSpec, serial: bool = False, scheduler: str | None = None,
              workers: int | None = None, progress: bool = True, reuse: bool = True,
              note: Callable[[str], None] = tqdm.write) -> Done:
    """Run every pending point of `spec` and save its result (clean runs also their final
    state); `reuse=False` trains test-only points in full instead of testing the clean
    network of their seed (the same records, at a training run each)."""
    claim_directory(spec)
    work = plan(spec, reuse)
    total = len(spec.runs())
    done = total - len(pending_runs(spec))
    if done:
        note(f"{done} of {total} runs already have results in {spec.out / RESULTS}: skipped")
    if not work.train and not work.evaluate:
        return Done(0, 0)
    prepare_chip(spec)
    bar = tqdm(total=total, initial=done, desc="sweep", unit="run", disable=not progress)
    try:
        if serial:
            for outcome in _serial(work):
                _save(spec.out, *outcome, bar)
        else:
            count = workers or min(len(work.train) + len(work.evaluate), os.cpu_count() or 1)
            with dask_client(scheduler, count) as client:
                for outcome in _on_dask(work, client):
                    _save(spec.out, *outcome, bar)
    finally:
        bar.close()
    return Done(len(work.train), len(work.evaluate))


def _save(out: Path, run: Run, record: dict, state: TrainState | None, bar: tqdm) -> None:
    """Keep a finished run: a clean run's state, and the record unless one is present."""
    if run.distortions is None:
        state_path(out, run).parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(state_path(out, run), state)
    if not result_path(out, run).exists():
        save_result(out, run, record)
        bar.update()
