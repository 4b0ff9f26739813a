"""Cost of on-chip learning (docs/onchip.md): one Yin-Yang epoch (5000 training samples in
batches of 40, then 1000 validation samples) trained by the PPU of an embedded emulated chip,
after one warm-up epoch in which the sample period adapts to the PPU.

Prints PPU cycles and emulated microseconds per sample and per update, samples per second of
chip time, and wall seconds per epoch; the last line is JSON with these figures.
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bss2emu.host.chip.training import chip_config  # noqa: E402
from bss2emu.host.connection import connect  # noqa: E402
from bss2emu.host.learning.dataset import load_dataset, replicate_inputs  # noqa: E402
from bss2emu.host.onchip.trainer import PPU_CYCLES_PER_US, OnChipTrainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="training seed (chip seed 0)")
    args = parser.parse_args()
    config = chip_config("yinyang")
    config.seed = args.seed
    data = replicate_inputs(load_dataset("yinyang"), config.input_replicas)
    with connect(None, seed=0) as conn:
        trainer = OnChipTrainer(config, data, conn)
        trainer.run_epoch()  # warm-up: the sample period adapts to the PPU's time per sample
        m = trainer.run_epoch()
    sample_us = m["ppu_cycles_per_sample"] / PPU_CYCLES_PER_US
    update_us = m["ppu_cycles_per_update"] / PPU_CYCLES_PER_US
    chip_us_per_sample = m["sample_period_us"] + update_us / config.batch_size
    figures = {
        "s_per_epoch": round(m["seconds"], 2),
        "ppu_cycles_per_sample": round(m["ppu_cycles_per_sample"]),
        "ppu_gradient_cycles_per_sample": round(m["ppu_gradient_cycles_per_sample"]),
        "ppu_cycles_per_update": round(m["ppu_cycles_per_update"]),
        "ppu_us_per_sample": round(sample_us, 1),
        "ppu_us_per_update": round(update_us, 1),
        "chip_samples_per_s": round(1e6 / chip_us_per_sample, 1),
    }
    print(f"epoch 2: {m['seconds']:.2f} s wall, validation {100 * m['validation_accuracy']:.1f} %")
    print(f"PPU per sample {figures['ppu_cycles_per_sample']} cycles ({sample_us:.0f} us), of "
          f"which spike-time gradients {figures['ppu_gradient_cycles_per_sample']}; per update "
          f"{figures['ppu_cycles_per_update']} cycles ({update_us:.0f} us)")
    print(f"chip time per training sample {chip_us_per_sample:.0f} us: "
          f"{figures['chip_samples_per_s']} samples per second of chip time")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
