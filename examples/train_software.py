"""Train the paper's Yin-Yang network in software (exact spike times and gradients on the
host), test it, save a checkpoint, and evaluate the network the checkpoint holds.

    python examples/train_software.py --epochs 20
"""
from __future__ import annotations

import argparse

from bss2emu import api


def main() -> None:
    parser = argparse.ArgumentParser(description="Yin-Yang in software mode")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, help="only the first N samples of each split")
    parser.add_argument("--seed", type=int, default=0, help="initialisation and batch order")
    parser.add_argument("--out", default="yinyang_software.npz", help="checkpoint file")
    args = parser.parse_args()

    config = api.config_for("software", "yinyang")  # the paper's hyper-parameters
    config.epochs, config.seed = args.epochs, args.seed
    data = api.load_training_data(config)
    if args.samples:
        data = data.head(args.samples)

    def report(trainer) -> None:
        m = trainer.history[-1]
        print(f"epoch {m['epoch']}: loss {m['train_loss']:.3f}, train "
              f"{100 * m['train_accuracy']:.1f} %, validation "
              f"{100 * m['validation_accuracy']:.1f} %")

    with api.open_trainer("software", config, data) as trainer:
        trainer.train(config.epochs, on_epoch=report)
        _, accuracy, _ = trainer.test()
        api.save_checkpoint(args.out, trainer.state())
    print(f"test accuracy {100 * accuracy:.2f} % ({len(data.test)} samples)")
    print(f"saved {args.out}")

    # the checkpoint alone: its network, evaluated through a forward backend
    state = api.load_checkpoint(args.out)
    network = api.trained_network(state.config, state.weights, data)
    with api.open_backend("software") as backend:
        _, again, _ = api.evaluate(network, backend, data.test, config.eval_batch_size,
                                   config.loss())
    print(f"checkpoint test accuracy {100 * again:.2f} %")


if __name__ == "__main__":
    main()
