"""Event routing: resolves where an event goes -- crossbar nodes, PADI buses, synapse drivers
(row-select match under the compare mask), driven rows and their modes, 6-bit synapse label
match -- into per-source fan-out tables for the engines, and the L2 label it leaves with."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from protocol import omnibus as ob

from .config import ChipConfig
from .geometry import (
    CROSSBAR_POPULATED,
    DRIVER_BUS,
    DRIVER_INDEX,
    L2_OUTPUT_BASE,
    neuron_event_output,
)

ROW_MODE_EXCITATORY = 1
ROW_MODE_INHIBITORY = 2
LABEL14_MASK = 0x3FFF


@dataclass(frozen=True)
class Fanout:
    """Where one source's events go: synaptic drive per target (neuron, channel)."""

    neuron: np.ndarray  # int32
    channel: np.ndarray  # uint8, 0 excitatory, 1 inhibitory
    amplitude: np.ndarray  # V/tick
    l2_label: int  # 16-bit label seen by the FPGA, or -1 if not routed to L2


def neuron_label(config: ChipConfig, neuron: np.ndarray) -> np.ndarray:
    """14-bit label of a neuron's spikes: event output in bits 10..8, address_out in 7..0."""
    neuron = np.asarray(neuron)
    return (neuron_event_output(neuron) << 8) | config.address_out[neuron].astype(np.int64)


class Router:
    """Resolves fan-outs for the current configuration (cached per (input, label))."""

    def __init__(self, config: ChipConfig, drive_exc: np.ndarray, drive_inh: np.ndarray,
                 synapse_fpn: np.ndarray) -> None:
        self.config = config
        self.drive = (drive_exc, drive_inh)
        # amplitude per synapse before the row mode: weight * mismatch * per-neuron drive
        w = config.weight.astype(np.float64) * synapse_fpn
        cols = np.arange(ob.COLUMNS)
        self._syn_amp = [
            [w[h] * drive_exc[h * ob.COLUMNS + cols], w[h] * drive_inh[h * ob.COLUMNS + cols]]
            for h in range(ob.HEMISPHERES)
        ]
        self._cache: dict[tuple[int, int], Fanout] = {}

    def fanout(self, crossbar_input: int, label14: int) -> Fanout:
        """Fan-out of an event with a 14-bit label entering the given crossbar input."""
        key = (crossbar_input, label14)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._resolve(crossbar_input, label14)
        return hit

    def _resolve(self, x: int, label14: int) -> Fanout:
        c = self.config
        passes = CROSSBAR_POPULATED[x] & ((label14 & c.crossbar_mask[x]) == c.crossbar_target[x])
        drive = np.zeros((2, ob.NEURONS))
        l2_label = -1
        for o in np.flatnonzero(passes):
            if o >= L2_OUTPUT_BASE:
                l2_label = ((o - L2_OUTPUT_BASE) << 14) | label14
                continue
            h, bus = divmod(int(o), ob.PADI_BUSES)
            if c.padi_enable_spl1[h, bus]:
                self._drive_bus(h, bus, label14, drive)
        targets = np.nonzero(drive.T)  # neuron-major order: (neuron, channel)
        return Fanout(neuron=targets[0].astype(np.int32), channel=targets[1].astype(np.uint8),
                      amplitude=drive.T[targets], l2_label=l2_label)

    def _drive_bus(self, h: int, bus: int, label14: int, drive: np.ndarray) -> None:
        c = self.config
        drivers = np.flatnonzero(DRIVER_BUS == bus)
        row_select = (label14 >> 6) & 0x1F
        mask = c.driver_compare_mask[h, drivers]
        drivers = drivers[((row_select ^ DRIVER_INDEX[drivers]) & mask) == 0]
        if drivers.size == 0:
            return
        rows = np.concatenate([2 * drivers, 2 * drivers + 1])
        modes = np.concatenate([c.driver_row_mode_top[h, drivers],
                                c.driver_row_mode_bottom[h, drivers]])
        address_out = np.concatenate([c.driver_enable_address_out[h, drivers]] * 2)
        syn_label = np.where(address_out, label14 & 0x3F, label14 & 0x20)
        active = modes != 0
        rows, modes, syn_label = rows[active], modes[active], syn_label[active]
        if rows.size == 0:
            return
        match = c.label[h, rows, :] == syn_label[:, None]
        base = h * ob.COLUMNS
        for channel, flag in ((0, ROW_MODE_EXCITATORY), (1, ROW_MODE_INHIBITORY)):
            sel = (modes & flag) != 0
            if sel.any():
                amp = self._syn_amp[h][channel][rows[sel]] * match[sel]
                drive[channel, base:base + ob.COLUMNS] += amp.sum(axis=0)
