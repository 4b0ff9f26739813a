"""Calibration through the protocol shrinks the neurons' parameter spread and hits targets."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.host.chip.calibration import Calibration, Calibrator
from bss2emu.host.connection import connect


def test_calibration_reduces_spread_at_least_fivefold(tmp_path):
    neurons = np.array([3, 40, 77, 130, 200, 259, 300, 400])
    with connect(seed=6) as conn:
        calibrator = Calibrator(conn, neurons)
        before, after = calibrator.calibrate(rounds=3)
    for name, spread in before.spread().items():
        assert spread > 0.05, name  # the uncalibrated chip is visibly non-uniform
        assert after.spread()[name] < spread / 5, name
    assert np.nanmean(after.tau_mem) == pytest.approx(6e-6, rel=0.02)
    assert np.nanmean(after.tau_exc) == pytest.approx(6e-6, rel=0.02)
    gap = after.threshold - after.leak
    assert np.nanmean(gap) == pytest.approx(calibrator.targets.threshold_gap_v, rel=0.03)
    result = Calibration("test-chip", calibrator.codes, before.spread(), after.spread())
    result.save(tmp_path / "cal.json")
    loaded = Calibration.load(tmp_path / "cal.json")
    assert loaded.codes == calibrator.codes and loaded.chip_id == "test-chip"
    assert loaded.settings().for_neuron(40)["i_bias_leak"] == calibrator.codes[40]["i_bias_leak"]


@pytest.mark.parametrize("version", [1, 99])
def test_old_or_unknown_calibration_version_is_rejected(tmp_path, version):
    path = tmp_path / "cal.json"
    path.write_text(f'{{"version": {version}, "chip_id": "x", "codes": {{}}}}')
    with pytest.raises(ValueError, match=f"version {version}.*bss2emu calibrate"):
        Calibration.load(path)


def test_calibration_leaves_no_routing_behind():
    """A network mapped after calibrating on the same chip behaves as on a fresh chip."""
    from bss2emu.chipsim import Chip
    from bss2emu.host.chip.backend import ChipBackend
    from bss2emu.host.chip.device import ProtocolDevice
    from bss2emu.host.learning.network import Network
    from bss2emu.host.learning.neuron import NeuronParams

    from .chipdevice import InProcessDevice

    rng = np.random.default_rng(3)
    network = Network([rng.normal(0.3, 0.4, (25, 120)), rng.normal(0.2, 0.6, (120, 3))],
                      [[], []], NeuronParams())
    inputs = 0.15 + 1.85 * rng.random((20, 25))
    with connect(seed=8) as conn:
        calibrator = Calibrator(conn, np.array([0, 1, 256, 257]))
        calibrator.calibrate(rounds=1)
        settings = Calibration("x", calibrator.codes).settings()
        measured = ChipBackend(ProtocolDevice(conn), settings).forward(network, inputs)
    fresh = ChipBackend(InProcessDevice(Chip(seed=8)), settings).forward(network, inputs)
    assert np.array_equal(measured[1], fresh[1]) and np.array_equal(measured[2], fresh[2])
