"""`bss2emu info` reports the chip identity and its uncalibrated parameter spread."""
from __future__ import annotations

from bss2emu.tools.cli import main


def test_info_reports_identity_and_spread(capsys):
    assert main(["info", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "0x348580af" in out and "tau_mem" in out
    spread = float(out.split("tau_mem")[1].split()[2].rstrip("%"))
    assert spread > 5.0  # an uncalibrated chip is visibly non-uniform


def test_info_rejects_bad_seed(capsys):
    assert main(["info", "--seed", "-4"]) == 2
    assert "seed" in capsys.readouterr().err
