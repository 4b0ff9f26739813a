"""`bss2emu sweep`: a tiny study on a separately started Dask scheduler with two workers gives
the numbers of a serial run; test-only points tested on their seed's clean network give the
records of full training runs, at fewer training runs; a stopped sweep resumes without redoing
finished points; bad specs are one line and exit status 2."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SPEC = """\
epochs = 1
seeds = [0, 1]
samples = 150
conditions = ["loop", "test"]
out = "serial"

[axes]
jitter = [0, 0.1]
dead_fraction = [0.2]
"""
# distinct runs: clean x 2 seeds, jitter 0.1 and dead 0.2 x 2 conditions x 2 seeds
RUNS = 10
# trained: clean and the in-the-loop points; the 4 test-only points reuse the clean networks
TRAINED = 6


def _sweep(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bss2emu", "sweep", *args, "--no-progress"],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def _results(directory: Path) -> dict[str, dict]:
    """Result records by file name, without their timings."""
    found = {}
    for path in sorted((directory / "points").glob("*.json")):
        record = json.loads(path.read_text())
        record.pop("seconds")
        found[path.name] = record
    return found


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A spec and its serial run."""
    d = tmp_path_factory.mktemp("sweep")
    (d / "spec.toml").write_text(SPEC)
    done = _sweep("spec.toml", "--serial", cwd=d)
    assert done.returncode == 0, done.stderr
    assert f"{TRAINED} runs trained, {RUNS - TRAINED} test-only points tested" in done.stdout
    return d


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> Iterator[str]:
    """A Dask scheduler and two one-thread workers on loopback, each its own process."""
    d = tmp_path_factory.mktemp("dask")
    file = d / "scheduler.json"
    logs = [open(d / name, "w") for name in ("scheduler.log", "worker0.log", "worker1.log")]
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(file)],
                                  stdout=logs[0], stderr=subprocess.STDOUT, cwd=d)]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert processes[0].poll() is None, (d / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for log in logs[1:]:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                 "1", "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard"],
                stdout=log, stderr=subprocess.STDOUT, cwd=d))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def test_a_dask_cluster_gives_the_serial_numbers(study: Path, scheduler: str) -> None:
    done = _sweep("spec.toml", "--scheduler", scheduler, "--out", "cluster", cwd=study)
    assert done.returncode == 0, done.stderr
    serial, cluster = _results(study / "serial"), _results(study / "cluster")
    assert len(serial) == RUNS and serial == cluster
    report = (study / "cluster" / "report.md").read_text()
    assert "| dead_fraction | 0.2 |" in report
    assert (study / "cluster" / "jitter.png").stat().st_size > 0


def test_reused_test_points_equal_full_training_runs(study: Path) -> None:
    done = _sweep("spec.toml", "--serial", "--no-reuse", "--out", "full", cwd=study)
    assert done.returncode == 0, done.stderr
    assert f"{RUNS} runs trained, 0 test-only points" in done.stdout
    reused, full = _results(study / "serial"), _results(study / "full")
    assert len(full) == RUNS and reused == full
    assert reused["jitter-0.1-test-seed0.json"]["history"] == reused["clean-seed0.json"]["history"]
    assert (reused["jitter-0.1-test-seed0.json"]["test_loss"]
            != reused["clean-seed0.json"]["test_loss"])


def test_a_stopped_sweep_resumes(study: Path) -> None:
    resumed = study / "resumed"
    shutil.copytree(study / "serial", resumed)
    removed = resumed / "points" / "jitter-0.1-test-seed1.json"
    removed.unlink()
    before = {p: p.stat().st_mtime_ns for p in (resumed / "points").glob("*.json")}
    done = _sweep("spec.toml", "--serial", "--out", "resumed", cwd=study)
    assert done.returncode == 0, done.stderr
    assert f"{RUNS - 1} of {RUNS} runs already have results" in done.stdout
    assert "0 runs trained, 1 test-only points" in done.stdout
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())
    assert _results(resumed) == _results(study / "serial")


def test_a_resumed_sweep_without_stored_states_retrains_the_clean_run(study: Path) -> None:
    resumed = study / "stateless"
    shutil.copytree(study / "serial", resumed)
    shutil.rmtree(resumed / "states")
    (resumed / "points" / "dead_fraction-0.2-test-seed0.json").unlink()
    clean = resumed / "points" / "clean-seed0.json"
    before = clean.stat().st_mtime_ns
    done = _sweep("spec.toml", "--serial", "--out", "stateless", cwd=study)
    assert done.returncode == 0, done.stderr
    assert "1 runs trained, 1 test-only points" in done.stdout
    assert clean.stat().st_mtime_ns == before
    assert (resumed / "states" / "clean-seed0.npz").exists()
    assert _results(resumed) == _results(study / "serial")


def test_epochs_override_is_recorded(study: Path) -> None:
    done = _sweep("spec.toml", "--epochs", "2", "--serial", cwd=study)
    assert done.returncode == 2 and "holds a sweep with other epochs" in done.stderr
    done = _sweep("spec.toml", "--epochs", "0", "--serial", "--out", "none", cwd=study)
    assert done.returncode == 2 and "epochs must be an integer >= 1" in done.stderr


BAD = [
    ("missing.toml", None, "does not exist"),
    ("spec.toml", "epochs = [\n", "not a TOML sweep specification"),
    ("spec.toml", SPEC.replace("jitter", "noise"), "unknown axis 'noise'"),
    ("spec.toml", SPEC.replace("[0, 0.1]", "[0, -0.1]"), "jitter must be a finite number"),
    ("spec.toml", SPEC.replace("[0.2]", "[\"half\"]"), "magnitudes must be numbers"),
    ("spec.toml", SPEC.replace("epochs = 1", "epochs = 0"), "epochs must be an integer >= 1"),
    ("spec.toml", SPEC.replace("seeds = [0, 1]", "seeds = []"), "seeds must be a non-empty"),
    ("spec.toml", "colour = 1\n" + SPEC, "unknown keys colour"),
    ("spec.toml", SPEC.replace("dead_fraction", 'mode = "chip"\n[axes]\ntau_ratio_spread')
     .replace("[axes]\njitter = [0, 0.1]\n", "", 1), "software mode only"),
    ("spec.toml", SPEC.replace("epochs = 1", "epochs = 2"), "holds a sweep with other epochs"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD)
def test_bad_specs_are_one_line(study: Path, tmp_path: Path, name: str, text: str | None,
                                message: str) -> None:
    if text is not None:
        (tmp_path / name).write_text(text.replace('out = "serial"', f'out = "{study}/serial"'))
    done = _sweep(name, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_bad_scheduler_addresses_are_one_line(study: Path) -> None:
    done = _sweep("spec.toml", "--scheduler", "localhost:1", cwd=study)
    assert done.returncode == 2 and "tcp://HOST:PORT" in done.stderr
    done = _sweep("spec.toml", "--scheduler", "tcp://127.0.0.1:1", "--out", "x", cwd=study)
    assert done.returncode == 2 and "cannot reach the Dask scheduler" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
