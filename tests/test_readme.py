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
