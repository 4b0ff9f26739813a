"""Every command answers bad input with one clear line and exit status 2, never a traceback:
a table of missing, wrong-kind, corrupt and out-of-range inputs per subcommand."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bss2emu.host.learning.checkpoint import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """A text file, random bytes, a directory, a software run and a NaN checkpoint."""
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.txt").write_text("not what it claims\n")
    (d / "random.npz").write_bytes(np.random.default_rng(0).bytes(300))
    (d / "adir").mkdir()
    subprocess.run([sys.executable, "-m", "bss2emu", "train", "--epochs", "1", "--no-progress",
                    "--out", str(d / "run")], check=True, capture_output=True, cwd=d)
    state = load_checkpoint(d / "run" / "checkpoint.npz")
    state.weights[0][0, 0] = np.nan
    save_checkpoint(d / "nan.npz", state)
    return d


CASES = [
    ("train --seed -1", "--seed must be >= 0"),
    ("train --epochs 0", "--epochs must be at least 1"),
    ("train --out notes.txt", "is a file, not a directory"),
    ("train --out /proc/nope/run", "cannot write there"),
    ("train --out run", "already holds a run"),
    ("train --resume missing.npz --out other", "does not exist"),
    ("train --resume notes.txt --out other", "not a bss2emu checkpoint"),
    ("train --mode chip --resume run/checkpoint.npz --out run2 --calibration none",
     "--chip-network"),
    ("train --mode chip --device socket://127.0.0.1:1", "cannot reach"),
    ("evaluate missing.npz", "does not exist"),
    ("evaluate adir", "is a directory"),
    ("evaluate random.npz", "not a bss2emu checkpoint"),
    ("evaluate notes.txt", "not a bss2emu checkpoint"),
    ("evaluate nan.npz", "not all finite"),
    ("evaluate run/checkpoint.npz --mode chip --calibration none", "--chip-network"),
    ("evaluate run/checkpoint.npz --mode chip --window-us 1e9", "longer than"),
    ("evaluate run/checkpoint.npz --mode chip --window-us -3", "positive finite"),
    ("calibrate --out adir", "is a directory"),
    ("calibrate --out /proc/nope/cal.json", "cannot write there"),
    ("calibrate --rounds 0", "at least 1"),
    ("info --seed -1", "non-negative"),
    ("serve --listen nonsense", "HOST:PORT"),
    ("serve --max-program-ms 0", "positive number"),
    ("ppu run adir", "is a directory"),
    ("ppu run missing.elf", "does not exist"),
    ("ppu run notes.txt", "not a readable ELF"),
    ("ppu run random.npz --timeout-us inf", "positive finite"),
    ("ppu build notes.txt", "not a C or assembly source"),
]


@pytest.mark.parametrize("command, message", CASES, ids=[c for c, _ in CASES])
def test_bad_input_gives_one_line_and_exit_2(files, command, message):
    proc = subprocess.run([sys.executable, "-m", "bss2emu", *command.split()], cwd=files,
                          capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert message in lines[0] and lines[0].startswith("bss2emu ")


def test_a_refused_chip_distortion_costs_no_calibration(tmp_path):
    """Chip mode refuses neuron distortions before it opens (and would calibrate) the chip."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "bss2emu", "train", "--mode", "chip",
                           "--tau-ratio-spread", "0.1", "--epochs", "1", "--out",
                           str(tmp_path / "run")], capture_output=True, text=True, timeout=60,
                          env=env)
    assert proc.returncode == 2, proc.stderr
    assert "software mode only" in proc.stderr
    assert not (tmp_path / "data").exists()  # no calibration was made or saved
