"""`bss2emu calibrate` end to end on the embedded emulator: into a calibration directory that
does not exist yet (a fresh per-user data directory), then found by chip mode's "auto"."""
from __future__ import annotations

import json

import numpy as np
from bss2emu.host.chip import calibrated
from bss2emu.tools.cli import main


def test_calibrate_into_a_new_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(calibrated, "default_neurons", lambda: np.arange(4))  # quick
    store = tmp_path / "fresh" / "calibrations"
    assert main(["calibrate", "--rounds", "1", "--chip-seed", "3", "--no-progress",
                 "--calibration-dir", str(store)]) == 0
    out = capsys.readouterr().out
    saved = store / "hxv3-348580af-emulated-seed3.json"
    assert f"saved {saved}" in out and "chip hxv3-348580af-emulated-seed3: 4 neurons" in out
    assert json.loads(saved.read_text())["chip_id"] == "hxv3-348580af-emulated-seed3"
