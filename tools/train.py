"""`bss2emu train`: first-spike-time training with exact gradients (paper defaults)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from bss2emu.host.connection import HostError
from bss2emu.host.learning.checkpoint import TrainState, load_checkpoint, save_checkpoint
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import DATASETS, Dataset, load_training_data
from bss2emu.host.learning.distortions import CONDITIONS, Distortions
from bss2emu.host.modes import MODES, config_for, open_trainer
from bss2emu.tools import paths
from bss2emu.tools.arguments import add_calibration_argument, add_device_arguments, chip_options
from bss2emu.tools.cli import Interrupted, UserError
from tqdm import tqdm

if TYPE_CHECKING:  # the gradient code is imported only by the modes that use it
    from bss2emu.host.learning.trainer import Trainer

HELP = "train a first-spike-time network (Yin-Yang, digits or MNIST) with exact gradients"
CHECKPOINT = "checkpoint.npz"
METRICS = "metrics.json"
# the distortion magnitudes among the options (named as `Distortions`' fields)
DISTORTION_OPTIONS = ("jitter", "tau_ratio_spread", "threshold_spread", "weight_bits",
                      "weight_range", "dead_fraction")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `bss2emu train`."""
    parser.add_argument("--dataset", metavar="{" + ",".join(DATASETS) + "}",
                        help="data set (default yinyang)")
    parser.add_argument("--mode", choices=MODES, default="software",
                        help="software: all on the host; chip: forward pass on a chip, "
                             "gradients on the host; onchip: the chip's PPU computes every "
                             "update, the host streams samples (default software)")
    parser.add_argument("--epochs", type=int, help="total epochs (default: the paper's)")
    parser.add_argument("--seed", type=int,
                        help="seed of initialisation, batch order and noise (default 0)")
    parser.add_argument("--tau-ratio", type=int, choices=(1, 2),
                        help="tau_m / tau_s: 1 (Lambert W) or 2 (log/sqrt) (default 1)")
    parser.add_argument("--mnist-dir", help="directory with the MNIST IDX files (--dataset mnist)")
    parser.add_argument("--out", default="runs/train", help="output directory (default runs/train)")
    parser.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint")
    parser.add_argument("--force", action="store_true",
                        help="train into an --out that holds another run (overwriting it)")
    parser.add_argument("--plot", action="store_true", help="write PNG figures into --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--chip-network", action="store_true",
                        help="software mode: use the chip mode's network and settings (to "
                             "write the trained weights to a chip without the loop)")
    add_device_arguments(parser)
    add_calibration_argument(parser)
    group = parser.add_argument_group(
        "distortions", "substrate imperfections of the forward pass (docs/studies.md)")
    group.add_argument("--jitter", type=float, metavar="SIGMA",
                       help="Gaussian spike-time jitter (model time units)")
    group.add_argument("--tau-ratio-spread", type=float, metavar="S",
                       help="relative per-neuron spread of tau_m (software mode)")
    group.add_argument("--threshold-spread", type=float, metavar="S",
                       help="relative per-neuron spread of the threshold (software mode)")
    group.add_argument("--weight-bits", type=int, metavar="B",
                       help="weight resolution: 2**B - 1 levels per sign")
    group.add_argument("--weight-range", type=float, metavar="W",
                       help="weights clipped to +-W (model units)")
    group.add_argument("--dead-fraction", type=float, metavar="F",
                       help="fraction of hidden neurons that never spike")
    group.add_argument("--distortion-condition", choices=CONDITIONS,
                       help="loop: in training, validation and test (default); test: only in "
                            "the final test")
    group.add_argument("--distortion-seed", type=int, metavar="N",
                       help="seed of the distortions' draws (default: --seed)")


def distortions_from_args(args: argparse.Namespace, seed: int) -> dict | None:
    """The distortions the options ask for (None if no magnitude is given), as stored in the
    configuration."""
    magnitudes = {name: getattr(args, name) for name in DISTORTION_OPTIONS
                  if getattr(args, name) is not None}
    if not magnitudes:
        if args.distortion_condition is not None or args.distortion_seed is not None:
            raise UserError("--distortion-condition and --distortion-seed need a distortion "
                            "magnitude (e.g. --jitter 0.05)")
        return None
    paths.non_negative_int(args.distortion_seed, "--distortion-seed")
    return Distortions(**magnitudes, condition=args.distortion_condition or "loop",
                       seed=seed if args.distortion_seed is None else args.distortion_seed
                       ).to_dict()


def resolve_config(args: argparse.Namespace) -> tuple[TrainConfig, TrainState | None]:
    """The run's configuration and, when resuming, the checkpoint state."""
    if args.resume is None:
        config = config_for(args.mode, args.dataset or "yinyang", args.tau_ratio or 1,
                            args.chip_network)
        if args.seed is not None:
            config.seed = args.seed
        config.distortions = distortions_from_args(args, config.seed)
        state = None
    else:
        state = load_checkpoint(args.resume)
        config = state.config
        for option, value in (("dataset", args.dataset), ("tau_ratio", args.tau_ratio),
                              ("seed", args.seed)):
            if value is not None and value != getattr(config, option):
                raise UserError(
                    f"--{option.replace('_', '-')} {value} conflicts with the checkpoint's "
                    f"{getattr(config, option)}"
                )
        asked = distortions_from_args(args, config.seed)
        if asked is not None and asked != config.distortions:
            raise UserError(f"the distortion options conflict with the checkpoint's "
                            f"distortions {config.distortions}")
    if args.epochs is not None:
        if args.epochs < 1:
            raise UserError("--epochs must be at least 1")
        config.epochs = args.epochs
    if args.mnist_dir is not None:
        config.mnist_dir = args.mnist_dir
    return config, state


def write_metrics(out: Path, trainer: Trainer, mode: str, test: dict | None) -> None:
    """metrics.json: config, per-epoch metrics and (at the end) the test result."""
    metrics = {
        "mode": mode,
        "config": trainer.config.to_dict(),
        "distortions": trainer.config.distortions,
        "epochs": trainer.history,
        "test_accuracy": None if test is None else test["accuracy"],
        "test_loss": None if test is None else test["loss"],
    }
    tmp = out / (METRICS + ".tmp")
    tmp.write_text(json.dumps(metrics, indent=1))
    tmp.replace(out / METRICS)


def run(args: argparse.Namespace) -> int:
    """Train, checkpointing every epoch; print the test accuracy at the end."""
    paths.non_negative_int(args.seed, "--seed")
    paths.non_negative_int(getattr(args, "chip_seed", None), "--chip-seed")
    if args.resume is not None:
        paths.existing_file(args.resume, "--resume")
    paths.run_directory(args.out, resume=args.resume, force=args.force)
    config, state = resolve_config(args)
    data = load_training_data(config)
    with open_trainer(args.mode, config, data, chip_options(args), state) as trainer:
        return train(args, trainer, data)


def _resume_hint(out: Path, epoch: int, what: str) -> str:
    """What happened, what was saved, and the exact command that continues."""
    checkpoint = out / CHECKPOINT
    if not checkpoint.exists():
        return f"{what} before the first epoch ended; nothing was saved"
    return (f"{what}; the checkpoint after epoch {epoch} is {checkpoint}; continue with: "
            f"bss2emu train --resume {checkpoint} --out {out}")


def train(args: argparse.Namespace, trainer: Trainer, data: Dataset) -> int:
    """The training loop of `run` (any trainer with Trainer's interface), with its outputs."""
    config = trainer.config
    if trainer.epoch > config.epochs:
        raise UserError(f"the checkpoint already has {trainer.epoch} epochs (> --epochs)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    progress = not args.no_progress

    def after_epoch(t: Trainer) -> None:
        save_checkpoint(out / CHECKPOINT, t.state())
        write_metrics(out, t, args.mode, None)
        m = t.history[-1]
        tqdm.write(
            f"epoch {m['epoch']:4d}  loss {m['train_loss']:.4f}"
            f"  train {100 * m['train_accuracy']:.2f} %"
            f"  validation {100 * m['validation_accuracy']:.2f} %  bumps {m['bumped_batches']}"
            f"  {m['seconds']:.2f} s"
            + (f"  PPU {m['ppu_cycles_per_sample'] / 1e3:.0f}k cycles/sample"
               if "ppu_cycles_per_sample" in m else "")
        )

    try:
        trainer.train(config.epochs, progress=progress, on_epoch=after_epoch)
        test_loss, test_acc, test_times = trainer.test()
    except KeyboardInterrupt:
        raise Interrupted(_resume_hint(out, trainer.epoch, "interrupted")) from None
    except HostError as err:
        raise UserError(_resume_hint(out, trainer.epoch, f"lost the device ({err})")) from None
    save_checkpoint(out / CHECKPOINT, trainer.state())
    write_metrics(out, trainer, args.mode, {"accuracy": test_acc, "loss": test_loss})
    print(f"test accuracy {100 * test_acc:.2f} % ({len(data.test)} samples); results in {out}")
    if args.plot:
        from bss2emu.host.learning import plots

        subject = f"{config.dataset}, {args.mode} mode"
        if args.mode != "software":
            subject += f", chip {args.device or f'embedded, seed {args.chip_seed}'}"
        plots.plot_learning_curves(trainer.history, out / "learning_curves.png", subject)
        if test_times is not None:
            plots.plot_label_times(test_times, data.test.labels, out / "label_times.png",
                                   subject)
        if config.dataset == "yinyang" and args.mode != "onchip":  # a host forward pass
            plots.plot_yinyang_class_map(trainer.network, trainer.backend, data.test,
                                         out / "class_map.png",
                                         replicas=config.input_replicas, subject=subject)
    return 0
