"""Seconds per Yin-Yang epoch in chip mode (5000 training samples in batches of 40 with the
forward pass on an embedded emulated chip through the wire protocol, the backward pass on the
host, plus the 1000 validation samples), as the user runs it: `bss2emu train --mode chip` in a
subprocess of this interpreter, uncalibrated chip (calibration only changes the values), the
second epoch timed (metrics.json). Runs on any version of bss2emu, so old and new can be
compared side by side. The last line is JSON: {"s_per_epoch": ..., "samples_per_s": ...}.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TRAINING_SAMPLES, VALIDATION_SAMPLES = 5000, 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        subprocess.run([sys.executable, "-m", "bss2emu", "train", "--dataset", "yinyang",
                        "--mode", "chip", "--epochs", "2", "--calibration", "none", "--seed",
                        str(args.seed), "--out", str(out)], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        epochs = json.loads((out / "metrics.json").read_text())["epochs"]
    seconds = float(epochs[-1]["seconds"])
    samples = TRAINING_SAMPLES + VALIDATION_SAMPLES
    print(f"chip-mode epoch (second of two): {seconds:.2f} s for {samples} samples "
          f"({samples / seconds:.0f} samples/s)")
    print(json.dumps({"s_per_epoch": round(seconds, 3),
                      "samples_per_s": round(samples / seconds, 1)}))


if __name__ == "__main__":
    main()
