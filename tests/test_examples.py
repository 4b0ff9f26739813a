"""Every script in examples/ runs as a user would run it (a subprocess, small arguments) and
prints what it promises: accuracies in [0, 100] %, checkpoints that load, a spiking neuron."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bss2emu.host.learning.checkpoint import load_checkpoint

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = ("--epochs", "1", "--samples", "120", "--calibration", "none")
ARGUMENTS = {
    "chip_spike.py": ("--duration-us", "12"),
    "train_software.py": ("--epochs", "1", "--samples", "200", "--out", "software.npz"),
    "train_chip.py": (*QUICK, "--out", "chip.npz"),
    "software_to_chip.py": QUICK,
    "train_onchip.py": (*QUICK, "--out", "onchip.npz"),
}
"""Small arguments per script; every script in examples/ needs an entry."""


def run_example(name: str, cwd: Path) -> str:
    env = {**os.environ, "BSS2EMU_DATA_DIR": str(cwd / "data")}  # no user calibrations
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *ARGUMENTS[name]], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc.stdout


def accuracies(text: str) -> list[float]:
    values = [float(v) for v in re.findall(r"test accuracy (\d+\.\d+) %", text)]
    assert values and all(0.0 <= v <= 100.0 for v in values), text
    return values


def test_every_example_has_arguments():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(ARGUMENTS)


def test_chip_spike(tmp_path):
    out = run_example("chip_spike.py", tmp_path)
    spikes = int(re.search(r"neuron 0 of chip 1: (\d+) spikes at", out).group(1))
    assert spikes >= 2
    assert re.search(r"^-*\^[-^]*$", out, re.M)  # the spike marks under the membrane trace


@pytest.mark.parametrize("name, checkpoint, epochs", [
    ("train_software.py", "software.npz", 1),
    ("train_chip.py", "chip.npz", 1),
    ("train_onchip.py", "onchip.npz", 1),
])
def test_training_example_saves_a_checkpoint(tmp_path, name, checkpoint, epochs):
    out = run_example(name, tmp_path)
    values = accuracies(out)
    assert f"saved {checkpoint}" in out
    state = load_checkpoint(tmp_path / checkpoint)
    assert state.epoch == epochs and len(state.history) == epochs
    if name == "train_software.py":  # the checkpoint's network evaluates as the trainer did
        assert values[0] == values[1]


def test_software_to_chip(tmp_path):
    out = run_example("software_to_chip.py", tmp_path)
    assert "software: test accuracy" in out and "chip: test accuracy" in out
    assert len(accuracies(out)) == 2
    assert "uJ per classification" in out
