"""`bss2emu train/evaluate --mode chip` end to end on the embedded emulator, and clear errors
for an unreachable device."""
from __future__ import annotations

import json
import socket

from bss2emu.tools.cli import main


def test_train_and_evaluate_in_chip_mode(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "yinyang", "--mode", "chip", "--epochs", "1",
                 "--out", str(out), "--no-progress", "--chip-seed", "2",
                 "--calibration", "none"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["mode"] == "chip" and len(metrics["epochs"]) == 1
    assert metrics["test_accuracy"] > 0.6
    assert metrics["config"]["input_replicas"] == 5
    capsys.readouterr()
    assert main(["evaluate", str(out / "checkpoint.npz"), "--mode", "chip", "--chip-seed", "2",
                 "--window-us", "180", "--calibration", "none"]) == 0
    text = capsys.readouterr().out
    accuracy = float(text.split("accuracy ")[1].split(" %")[0]) / 100
    assert abs(accuracy - metrics["test_accuracy"]) < 1e-9  # same chip, same bits
    assert "uJ per classification" in text and "5,556 classifications" in text


def test_unreachable_device_is_a_clear_error(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["train", "--mode", "chip", "--epochs", "1", "--out", str(tmp_path),
                 "--device", f"socket://127.0.0.1:{port}", "--no-progress"])
    assert code == 2
    assert "cannot reach socket://127.0.0.1" in capsys.readouterr().err


def test_auto_calibration_file_is_found_by_chip_identity(tmp_path, monkeypatch, capsys):
    """Calibrations live in the per-user data directory, keyed by the chip (its seed, read over
    the wire), not by where it is served; another chip's file is refused."""
    from bss2emu.host.chip.calibration import Calibration

    monkeypatch.setenv("BSS2EMU_DATA_DIR", str(tmp_path / "data"))
    store = tmp_path / "data" / "calibrations"
    store.mkdir(parents=True)
    Calibration("hxv3-348580af-emulated-seed4", {0: {"v_leak": 301}}).save(
        store / "hxv3-348580af-emulated-seed4.json")
    assert main(["train", "--mode", "chip", "--epochs", "1", "--chip-seed", "4",
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert f"using calibration {store}/hxv3-348580af-emulated-seed4.json" in \
        captured.out + captured.err
    assert main(["train", "--mode", "chip", "--epochs", "1", "--calibration", "missing.json",
                 "--out", str(tmp_path / "run2"), "--no-progress"]) == 2
    assert "cannot use calibration missing.json" in capsys.readouterr().err
    assert main(["train", "--mode", "chip", "--epochs", "1", "--chip-seed", "5",
                 "--calibration", str(store / "hxv3-348580af-emulated-seed4.json"),
                 "--out", str(tmp_path / "run3"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "made on chip hxv3-348580af-emulated-seed4, this is chip" in err
    assert "seed5" in err


def test_software_training_of_the_chip_network(tmp_path):
    out = tmp_path / "sw"
    assert main(["train", "--chip-network", "--epochs", "1", "--out", str(out),
                 "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["mode"] == "software"
    assert metrics["config"]["input_replicas"] == 5
    assert metrics["config"]["bias_times"][1] == []  # the chip has no label-layer bias


def test_chip_mode_over_a_device_url(tmp_path):
    """The same training through `--device socket://...` (a device server on loopback) gives
    the same bits as through the embedded default."""
    from bss2emu.chipsim.server import EmbeddedServer

    server = EmbeddedServer(seed=2)
    try:
        out = tmp_path / "tcp"
        assert main(["train", "--mode", "chip", "--epochs", "1", "--out", str(out),
                     "--no-progress", "--device", server.url, "--calibration", "none"]) == 0
    finally:
        server.close()
    embedded = tmp_path / "embedded"
    assert main(["train", "--mode", "chip", "--epochs", "1", "--out", str(embedded),
                 "--no-progress", "--chip-seed", "2", "--calibration", "none"]) == 0
    a = json.loads((out / "metrics.json").read_text())
    b = json.loads((embedded / "metrics.json").read_text())
    assert a["test_accuracy"] == b["test_accuracy"]
    assert a["epochs"][0]["train_loss"] == b["epochs"][0]["train_loss"]
