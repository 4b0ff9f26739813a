"""Training scripts in Python: the functions behind `bss2emu train` and `bss2emu evaluate`,
in one place.

    from bss2emu import api

    config = api.config_for("software", "yinyang")   # the paper's hyper-parameters
    config.epochs = 20
    data = api.load_training_data(config)             # spike-time splits (.head(n): a few)
    with api.open_trainer("software", config, data) as trainer:
        trainer.train(config.epochs)                  # on_epoch=callback after each epoch
        loss, accuracy, label_times = trainer.test()
        api.save_checkpoint("yinyang.npz", trainer.state())

Modes (`MODES`): "software" (all on the host), "chip" (forward pass on a chip, gradients on
the host) and "onchip" (the chip's plasticity processor learns). Chip modes take a
`ChipOptions`: a device URL or, by default, an embedded emulated chip (`seed`), and the
calibration ("auto", "none" or a file). A trainer's network is `trainer.network` (host
modes); a checkpoint's is `trained_network(state.config, state.weights, data)`, which
`evaluate` runs through any forward backend (`open_backend("software")` or
`open_backend("chip", ChipOptions(...))`). The chip itself: `bss2emu.chipsim.Chip`.
"""
from __future__ import annotations

from bss2emu.host.chip.session import ChipOptions, open_chip
from bss2emu.host.learning.checkpoint import TrainState, load_checkpoint, save_checkpoint
from bss2emu.host.learning.config import TrainConfig
from bss2emu.host.learning.dataset import Dataset, Split, load_training_data
from bss2emu.host.learning.evaluation import evaluate, trained_network
from bss2emu.host.modes import MODES, config_for, open_backend, open_trainer

__all__ = [
    "MODES", "ChipOptions", "Dataset", "Split", "TrainConfig", "TrainState", "config_for",
    "evaluate", "load_checkpoint", "load_training_data", "open_backend", "open_chip",
    "open_trainer", "save_checkpoint", "trained_network",
]
