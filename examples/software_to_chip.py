"""Train the chip's network in software, then run the trained network on an emulated chip:
the same weights evaluated by the closed-form model and by the chip (fixed-pattern noise,
6-bit weights), with the chip's time and energy per classification.

    python examples/software_to_chip.py --epochs 20
"""
from __future__ import annotations

import argparse
import time

from bss2emu.host.chip.energy import InferenceCost

from bss2emu import api


def main() -> None:
    parser = argparse.ArgumentParser(description="software-trained network on a chip")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, help="only the first N samples of each split")
    parser.add_argument("--chip-seed", type=int, default=0, help="the embedded chip's seed")
    parser.add_argument("--calibration", default="auto", help="auto, none or a file")
    parser.add_argument("--window-us", type=float, default=48.0, help="chip time per sample")
    args = parser.parse_args()

    # the chip mapping's network (inputs x5, bias only into the hidden layer), trained on the host
    config = api.config_for("software", "yinyang", chip_network=True)
    config.epochs = args.epochs
    data = api.load_training_data(config)
    if args.samples:
        data = data.head(args.samples)
    with api.open_trainer("software", config, data) as trainer:
        trainer.train(config.epochs)
        _, software, _ = trainer.test()
    print(f"software: test accuracy {100 * software:.2f} % after {config.epochs} epochs")

    chip = api.ChipOptions(seed=args.chip_seed, calibration=args.calibration)
    with api.open_backend("chip", chip, window_us=args.window_us) as backend:
        start = time.perf_counter()
        _, measured, _ = api.evaluate(trainer.network, backend, data.test,
                                      config.eval_batch_size, config.loss())
        wall = time.perf_counter() - start
    print(f"chip: test accuracy {100 * measured:.2f} % (same weights, {args.window_us:g} us "
          f"per sample)")
    print(InferenceCost(len(data.test), args.window_us * 1e-6, wall).summary())


if __name__ == "__main__":
    main()
