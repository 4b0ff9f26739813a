"""Train Yin-Yang with the chip in the loop: every forward pass runs on an emulated chip
(embedded here, or a device server given by --device) through the wire protocol; the host
computes exact gradients from the measured spike times and writes the new weights.

    python examples/train_chip.py --epochs 2
"""
from __future__ import annotations

import argparse

from bss2emu import api


def main() -> None:
    parser = argparse.ArgumentParser(description="Yin-Yang in chip mode")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, help="only the first N samples of each split")
    parser.add_argument("--device", metavar="URL", help="device server (default: embedded)")
    parser.add_argument("--chip-seed", type=int, default=0, help="the embedded chip's seed")
    parser.add_argument("--calibration", default="auto",
                        help="auto (the chip's saved calibration, made first if missing), "
                             "none, or a calibration file")
    parser.add_argument("--out", default="yinyang_chip.npz", help="checkpoint file")
    args = parser.parse_args()

    config = api.config_for("chip", "yinyang")  # inputs x5, batch 40, the chip's neuron model
    config.epochs = args.epochs
    data = api.load_training_data(config)
    if args.samples:
        data = data.head(args.samples)
    chip = api.ChipOptions(device=args.device, seed=args.chip_seed,
                           calibration=args.calibration)

    def report(trainer) -> None:
        m = trainer.history[-1]
        print(f"epoch {m['epoch']}: train {100 * m['train_accuracy']:.1f} %, validation "
              f"{100 * m['validation_accuracy']:.1f} %, {m['seconds']:.1f} s")

    with api.open_trainer("chip", config, data, chip) as trainer:
        trainer.train(config.epochs, on_epoch=report)
        _, accuracy, _ = trainer.test()
        api.save_checkpoint(args.out, trainer.state())
        written = trainer.backend.synapse_words_written
    print(f"test accuracy {100 * accuracy:.2f} % ({len(data.test)} samples, measured on the "
          f"chip; {written} synapse words written)")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
