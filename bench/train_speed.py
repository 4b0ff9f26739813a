"""Seconds per Yin-Yang training epoch (5000 samples, batch 150, plus validation) on one core.

Usage: python bench/train_speed.py [--epochs N]. The last line is JSON {"s_per_epoch": ...}
with the machine's 1-minute load average at the start and end (timings on a shared machine
depend on it).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from bss2emu.host.learning.backend import SoftwareBackend  # noqa: E402
from bss2emu.host.learning.config import default_config  # noqa: E402
from bss2emu.host.learning.dataset import load_dataset  # noqa: E402
from bss2emu.host.learning.trainer import Trainer  # noqa: E402


def main() -> None:
    """Time a few epochs after one warm-up epoch; report the median (and the minimum)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (default 5)")
    parser.add_argument("--tau-ratio", type=int, choices=(1, 2), default=1)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    config = default_config("yinyang", args.tau_ratio)
    trainer = Trainer(config, load_dataset("yinyang"), SoftwareBackend())
    trainer.run_epoch()  # warm-up
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        metrics = trainer.run_epoch()
        times.append(time.perf_counter() - start)
        print(f"epoch {metrics['epoch']}: {times[-1]:.3f} s "
              f"(validation accuracy {100 * metrics['validation_accuracy']:.1f} %)")
    times.sort()
    print(json.dumps({"s_per_epoch": round(times[len(times) // 2], 4),
                      "s_per_epoch_min": round(times[0], 4),
                      "tau_ratio": args.tau_ratio, "epochs_timed": args.epochs,
                      "load_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)]}))


if __name__ == "__main__":
    main()
