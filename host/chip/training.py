"""Training configurations for chip-in-the-loop runs (paper-facts §5, yin_yang_hx): inputs
replicated 5x with 5 bias channels, bias only in the first layer, batch 40, learning rate 0.002,
200 epochs; the backward model is the chip's target neuron (tau_m = tau_s = 6 us)."""
from __future__ import annotations

import dataclasses

from bss2emu.host.learning.config import TrainConfig, default_config
from bss2emu.host.learning.errors import LearningInputError

from .mapping import MAX_HIDDEN
from .neurons import backward_threshold

INPUT_REPLICAS = {"yinyang": 5, "digits": 1, "mnist": 1}


def chip_config(dataset: str, tau_ratio: int = 1) -> TrainConfig:
    """The software defaults adapted to the chip mapping."""
    if tau_ratio != 1:
        raise LearningInputError("the chip runs tau_mem = tau_syn (6 us): --tau-ratio 1 only")
    base = default_config(dataset, tau_ratio)
    replicas = INPUT_REPLICAS[dataset]
    hidden = [min(base.hidden[0], MAX_HIDDEN)]
    (m1, s1), (m2, s2) = base.weight_init
    config = dataclasses.replace(
        base, hidden=hidden,
        bias_times=[list(base.bias_times[0]) * replicas, []],
        # the same summed drive from replicated inputs: each replica carries 1/replicas of it
        weight_init=[[m1 / replicas, s1 / replicas], [m2, s2]],
        backward_neuron={"threshold": backward_threshold()}, input_replicas=replicas,
    )
    if dataset == "yinyang":
        config = dataclasses.replace(config, epochs=200, batch_size=40, learning_rate=0.002,
                                     max_missing=[0.3, 0.05])
    return config
