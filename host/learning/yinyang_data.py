"""The Yin-Yang task as spike times: the published splits, encoded early 0.15 / late 2.0."""
from __future__ import annotations

from bss2emu.host.learning.dataset import Dataset, Split
from bss2emu.host.learning.encoding import linear_times
from bss2emu.host.learning.yinyang import PUBLISHED_SPLITS, generate_yinyang


def yinyang_dataset() -> Dataset:
    """Train 5000 (seed 42), validation 1000 (seed 41), test 1000 (seed 40), 4 inputs each."""
    splits = {}
    for name, (size, seed) in PUBLISHED_SPLITS.items():
        samples, labels = generate_yinyang(size, seed)
        splits[name] = Split(linear_times(samples), labels)
    return Dataset("yinyang", splits["train"], splits["validation"], splits["test"], 3)
