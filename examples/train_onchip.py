"""On-chip learning: the emulated chip's plasticity processor (PPU) computes every spike-time
gradient and Adam step from the spikes it sees; the host only streams the samples and reads
counters (docs/onchip.md).

    python examples/train_onchip.py --epochs 2
"""
from __future__ import annotations

import argparse

from bss2emu import api


def main() -> None:
    parser = argparse.ArgumentParser(description="Yin-Yang learned on the chip")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, help="only the first N samples of each split")
    parser.add_argument("--chip-seed", type=int, default=0, help="the embedded chip's seed")
    parser.add_argument("--calibration", default="auto", help="auto, none or a file")
    parser.add_argument("--out", default="yinyang_onchip.npz", help="checkpoint file")
    args = parser.parse_args()

    config = api.config_for("onchip", "yinyang")
    config.epochs = args.epochs
    data = api.load_training_data(config)
    if args.samples:
        data = data.head(args.samples)
    chip = api.ChipOptions(seed=args.chip_seed, calibration=args.calibration)

    def report(trainer) -> None:
        m = trainer.history[-1]
        print(f"epoch {m['epoch']}: train {100 * m['train_accuracy']:.1f} %, validation "
              f"{100 * m['validation_accuracy']:.1f} %, PPU "
              f"{m['ppu_cycles_per_sample'] / 1e3:.0f}k cycles per sample")

    with api.open_trainer("onchip", config, data, chip) as trainer:
        trainer.train(config.epochs, on_epoch=report)
        _, accuracy, _ = trainer.test()  # counted by the PPU
        api.save_checkpoint(args.out, trainer.state())  # weights and Adam moments read back
    print(f"test accuracy {100 * accuracy:.2f} % ({len(data.test)} samples, counted on chip)")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
