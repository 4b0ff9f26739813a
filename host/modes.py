"""The three places a first-spike-time network can learn and run, as opened for one run:

- software: everything on the host (closed-form spike times, exact gradients);
- chip: the forward pass on a chip (spike times measured there), gradients on the host;
- onchip: the chip's plasticity processor computes every update; the host streams samples.

`config_for` gives a mode's default configuration, `open_backend` the forward pass of a
host-gradient mode, `open_trainer` a trainer for any mode; the latter two release the chip when
their `with` block ends. `bss2emu train/evaluate` and the Python API (`bss2emu.api`) both use
them. The gradient code is imported only by the modes that use it: onchip mode runs without it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bss2emu.host.chip.session import ChipOptions, open_chip
from bss2emu.host.learning.checkpoint import TrainState
from bss2emu.host.learning.config import TrainConfig, default_config
from bss2emu.host.learning.dataset import Dataset
from bss2emu.host.learning.errors import LearningInputError

if TYPE_CHECKING:
    from bss2emu.host.learning.backend import ForwardBackend
    from bss2emu.host.learning.trainer import Trainer
    from bss2emu.host.onchip.trainer import OnChipTrainer

MODES = ("software", "chip", "onchip")


def _check_mode(mode: str, allowed: tuple[str, ...] = MODES) -> None:
    if mode not in allowed:
        raise LearningInputError(f"unknown mode {mode!r} (choose from {', '.join(allowed)})")


def config_for(mode: str, dataset: str = "yinyang", tau_ratio: int = 1,
               chip_network: bool = False) -> TrainConfig:
    """The paper's configuration of `dataset` for `mode`: chip and onchip modes (and software
    runs of the chip's network, `chip_network`) use the chip mapping's variant."""
    _check_mode(mode)
    if mode in ("chip", "onchip") or chip_network:
        from bss2emu.host.chip.training import chip_config

        return chip_config(dataset, tau_ratio)
    return default_config(dataset, tau_ratio)


@contextmanager
def open_backend(mode: str, chip: ChipOptions | None = None,
                 window_us: float | None = None) -> Iterator[ForwardBackend]:
    """The forward pass of a host-gradient mode: "software", or "chip" on the chip `chip`
    names (default: an embedded emulator, auto-calibrated) with `window_us` of hardware time
    per sample (None: the chip backend's default)."""
    _check_mode(mode, ("software", "chip"))
    if mode == "software":
        from bss2emu.host.learning.backend import SoftwareBackend

        yield SoftwareBackend()
        return
    from bss2emu.host.chip.backend import ChipBackend
    from bss2emu.host.chip.device import ProtocolDevice

    with open_chip(chip or ChipOptions()) as session:
        backend = ChipBackend(ProtocolDevice(session.connection), session.settings)
        if window_us is not None:
            backend.window_us = window_us
        yield backend


@contextmanager
def open_trainer(mode: str, config: TrainConfig, data: Dataset,
                 chip: ChipOptions | None = None, state: TrainState | None = None
                 ) -> Iterator[Trainer | OnChipTrainer]:
    """A trainer for `mode` (both kinds offer train, run_epoch, test, state and history),
    resuming `state` if given; chip and onchip modes run on the chip `chip` names."""
    _check_mode(mode)
    if mode == "onchip":
        from bss2emu.host.onchip.trainer import OnChipTrainer

        if config.distortions is not None:
            raise LearningInputError("distortions apply to host-gradient modes (software, chip), "
                                     "not onchip mode")

        with open_chip(chip or ChipOptions()) as session, \
                OnChipTrainer(config, data, session.connection, session.settings,
                              state) as trainer:
            yield trainer
        return
    from bss2emu.host.learning.distorted_backend import check_distortions
    from bss2emu.host.learning.distortions import Distortions
    from bss2emu.host.learning.trainer import Trainer

    if config.distortions is not None:  # checked before a chip is opened (and calibrated)
        check_distortions(mode, Distortions.from_dict(config.distortions))
    with open_backend(mode, chip) as backend:
        yield Trainer(config, data, backend, state)
