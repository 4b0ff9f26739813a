"""The README's Python examples run as shown, and the chip example shows spikes."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_chip_example_fires():
    block = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    out = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), scope)
    result = scope["result"]
    assert result.spikes.size > 3 and set(result.spikes["neuron"].tolist()) == {0}
    assert result.events.size == result.spikes.size
    assert "[]" not in out.getvalue()


def test_api_example_runs(tmp_path, monkeypatch):
    """The training-script example, shortened (one epoch, 100 samples per split, uncalibrated)
    and run in a scratch directory."""
    block = next(b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
                 if "from bss2emu import api" in b)
    data = "api.load_training_data(config)"
    for long, short in (("config.epochs = 2", "config.epochs = 1"), (data, f"{data}.head(100)"),
                        ('calibration="auto"', 'calibration="none"')):
        assert long in block
        block = block.replace(long, short)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    accuracies = [float(line) for line in out.getvalue().split()]
    assert len(accuracies) == 2 and all(0.0 <= a <= 1.0 for a in accuracies)
    assert (tmp_path / "yinyang_chip.npz").exists()
