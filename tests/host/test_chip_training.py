"""Chip-in-the-loop training through the wire protocol on the embedded emulator: a few epochs
on a Yin-Yang subset learn well above chance, and only changed synapses are rewritten."""
from __future__ import annotations

import dataclasses

import numpy as np
from bss2emu.host.chip.backend import ChipBackend
from bss2emu.host.chip.device import ProtocolDevice
from bss2emu.host.chip.training import chip_config
from bss2emu.host.connection import connect
from bss2emu.host.learning.dataset import Dataset, Split, replicate_inputs
from bss2emu.host.learning.trainer import Trainer
from bss2emu.host.learning.yinyang_data import yinyang_dataset


def _subset(data: Dataset, n: int) -> Dataset:
    def cut(split: Split, k: int) -> Split:
        return Split(split.times[:k], split.labels[:k])
    return Dataset(data.name, cut(data.train, n), cut(data.validation, n // 2),
                   cut(data.test, n // 2), data.n_classes)


def test_chip_in_the_loop_learns_yinyang_subset():
    config = dataclasses.replace(chip_config("yinyang"), epochs=4, learning_rate=0.005)
    data = replicate_inputs(_subset(yinyang_dataset(), 600), config.input_replicas)
    with connect(seed=3) as conn:
        backend = ChipBackend(ProtocolDevice(conn))
        trainer = Trainer(config, data, backend)
        first = trainer.run_epoch()
        trainer.train(config.epochs)
        _, accuracy, out = trainer.test()
    assert trainer.history[-1]["validation_accuracy"] > first["validation_accuracy"] - 0.02
    assert accuracy > 0.55  # chance is 1/3
    assert np.isfinite(out).mean() > 0.9
    # after the first full write, steps rewrite only synapses whose integer weight changed
    assert backend.synapse_words_written < 4 * 2 * 2 * 256 * 64
