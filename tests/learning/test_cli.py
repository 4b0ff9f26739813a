"""`bss2emu train` / `bss2emu evaluate`: outputs, exact resume, one-line errors (exit 2)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bss2emu.tools import cli
from bss2emu.tools.train import CHECKPOINT


@pytest.fixture
def bss2emu(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path):
    """Run the CLI with only the learning subcommands registered, in a scratch directory (the
    default --out is relative); returns (rc, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "SUBCOMMANDS", {"train": "bss2emu.tools.train",
                                            "evaluate": "bss2emu.tools.evaluate"})

    def run(*argv: str) -> tuple[int, str, str]:
        rc = cli.main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_train_writes_metrics_checkpoint_plots_and_evaluates(bss2emu, tmp_path: Path) -> None:
    out = tmp_path / "run"
    rc, stdout, _ = bss2emu("train", "--epochs", "1", "--out", str(out), "--plot", "--no-progress")
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 1
    epoch = metrics["epochs"][0]
    for key in ("train_loss", "train_accuracy", "validation_accuracy", "validation_loss"):
        assert np.isfinite(epoch[key])
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["config"]["dataset"] == "yinyang" and metrics["config"]["hidden"] == [120]
    for png in ("learning_curves.png", "class_map.png", "label_times.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    rc, stdout, _ = bss2emu("evaluate", str(out / CHECKPOINT))
    assert rc == 0
    assert f"{100 * metrics['test_accuracy']:.2f} %" in stdout


def test_cli_resume_gives_identical_weights(bss2emu, tmp_path: Path) -> None:
    common = ("--dataset", "yinyang", "--seed", "4", "--no-progress")
    assert bss2emu("train", "--epochs", "2", "--out", str(tmp_path / "a"), *common)[0] == 0
    assert bss2emu("train", "--epochs", "1", "--out", str(tmp_path / "b"), *common)[0] == 0
    rc, _, _ = bss2emu("train", "--epochs", "2", "--out", str(tmp_path / "b"), "--no-progress",
                       "--resume", str(tmp_path / "b" / CHECKPOINT))
    assert rc == 0
    with np.load(tmp_path / "a" / CHECKPOINT) as a, np.load(tmp_path / "b" / CHECKPOINT) as b:
        assert int(a["epoch"]) == int(b["epoch"]) == 2
        for key in ("weights_0", "weights_1", "adam_m_1", "adam_v_0"):
            np.testing.assert_array_equal(a[key], b[key])


def _assert_user_error(result: tuple[int, str, str], fragment: str) -> None:
    rc, _, err = result
    assert rc == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and fragment in lines[0], err


def test_onchip_mode_names_what_it_cannot_train(bss2emu) -> None:
    """Every listed mode works; on-chip learning refuses, in one line, what it does not fit."""
    _assert_user_error(bss2emu("train", "--mode", "onchip", "--tau-ratio", "2"), "--tau-ratio 1")


def test_bad_user_input_gives_one_line_errors(bss2emu, tmp_path: Path) -> None:
    _assert_user_error(bss2emu("train", "--dataset", "cifar"), "unknown dataset 'cifar'")
    _assert_user_error(bss2emu("train", "--dataset", "mnist"), "--mnist-dir")
    _assert_user_error(bss2emu("train", "--dataset", "mnist", "--mnist-dir", str(tmp_path)),
                       "train-images-idx3-ubyte")
    _assert_user_error(bss2emu("evaluate", str(tmp_path / "none.npz")), "does not exist")
    _assert_user_error(bss2emu("train", "--epochs", "0"), "--epochs")


def test_wrong_image_size_and_checkpoint_version(bss2emu, tmp_path: Path) -> None:
    from test_datasets import write_mnist

    write_mnist(tmp_path, size=20)
    _assert_user_error(bss2emu("train", "--dataset", "mnist", "--mnist-dir", str(tmp_path)),
                       "(n, 28, 28)")
    out = tmp_path / "run"
    assert bss2emu("train", "--epochs", "1", "--out", str(out), "--no-progress")[0] == 0
    with np.load(out / CHECKPOINT) as data:
        arrays = dict(data)
    arrays["format_version"] = np.array(99)
    np.savez(tmp_path / "old.npz", **arrays)
    _assert_user_error(bss2emu("evaluate", str(tmp_path / "old.npz")), "format version 99")
    _assert_user_error(
        bss2emu("train", "--resume", str(out / CHECKPOINT), "--seed", "7"), "conflicts"
    )


def test_train_and_evaluate_on_mnist_idx_files(bss2emu, tmp_path: Path) -> None:
    from test_datasets import write_mnist

    write_mnist(tmp_path, n_train=60, n_test=20)
    out = tmp_path / "run"
    rc, stdout, _ = bss2emu("train", "--dataset", "mnist", "--mnist-dir", str(tmp_path),
                            "--epochs", "1", "--out", str(out), "--no-progress", "--plot")
    assert rc == 0 and "(20 samples)" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["hidden"] == [128] and metrics["config"]["bias_times"] == [[], []]
    assert (out / "label_times.png").exists() and not (out / "class_map.png").exists()
    rc, stdout, _ = bss2emu("evaluate", str(out / CHECKPOINT), "--split", "validation")
    assert rc == 0 and "validation accuracy" in stdout


def test_ctrl_c_names_the_checkpoint_and_the_exact_resume_command(tmp_path: Path) -> None:
    import shlex
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "bss2emu", "train", "--epochs", "4", "--out", str(out),
           "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "metrics.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert f"{out / CHECKPOINT}" in lines[0]
    resume = lines[0].split("continue with: ")[1]
    args = shlex.split(resume)
    assert args[:2] == ["bss2emu", "train"]
    done = subprocess.run([sys.executable, "-m", "bss2emu", *args[1:], "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(json.loads((out / "metrics.json").read_text())["epochs"]) == 4
