"""Event routing: resolves where an event goes -- crossbar nodes, PADI buses, synapse drivers
(row-select match under the compare mask), driven rows and their modes, 6-bit synapse label
match -- into per-source fan-out tables for the engines, and the L2 label it leaves with."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bss2emu.protocol import event_label as el
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.synapse_driver import ROW_MODE_EXCITATORY, ROW_MODE_INHIBITORY

from .config import ChipConfig
from .geometry import DRIVER_BUS, DRIVER_INDEX, L2_OUTPUT_BASE, neuron_event_output

PADI_TRIGGER_INPUT_BASE = ob.CROSSBAR_INPUTS
"""Sources 20 + 4 h + b: events from hemisphere h's PADI trigger register on bus b (they enter
the bus directly, not through the crossbar)."""


@dataclass(frozen=True)
class Fanout:
    """Where one source's events go: synaptic drive per target (neuron, channel)."""

    neuron: np.ndarray  # int32
    channel: np.ndarray  # uint8, 0 excitatory, 1 inhibitory
    amplitude: np.ndarray  # V/tick
    l2_label: int  # 16-bit label seen by the FPGA, or -1 if not routed to L2


def neuron_label(config: ChipConfig, neuron: np.ndarray) -> np.ndarray:
    """14-bit label of a neuron's spikes: its event output and backend address_out."""
    neuron = np.asarray(neuron)
    return el.pack(el.NEURON_EVENT_LABEL, event_output=neuron_event_output(neuron),
                   address_out=config.backend.address_out[ob.NEURON_TO_BACKEND[neuron]])


@dataclass(frozen=True)
class _RowSet:
    """Rows of one hemisphere that an event drives, with their modes and synapse matches."""

    hemisphere: int
    rows: np.ndarray
    excitatory: np.ndarray  # per row: drives the excitatory input
    inhibitory: np.ndarray
    match: np.ndarray  # (rows, 256): synapse label equals the forwarded label


_MAX_LAYOUTS = 16


@dataclass(frozen=True)
class _Synapses:
    """The synapses a layout drives when every slab has a single row (so every target, a
    (source, neuron, channel), is driven by one synapse): per synapse, in the order of the
    tables, its flat index into the weights (hemisphere, row, column), mismatch, neuron drive,
    and its target's source, neuron and channel."""

    weight_index: np.ndarray
    fpn: np.ndarray
    drive: np.ndarray
    source: np.ndarray
    neuron: np.ndarray
    channel: np.ndarray


@dataclass(frozen=True)
class Layout:
    """The fan-out structure of one list of sources: the sources with synapses (`active`),
    per channel the driven (hemisphere, row, synapse label match) entries with their slab
    (2 * active slot + hemisphere) and where each slab's rows start, the L2 labels (one per
    source), and the driven synapses one by one where no slab has several rows (None
    otherwise)."""

    active: np.ndarray
    channels: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    l2: np.ndarray
    synapses: _Synapses | None


class Router:
    """Resolves fan-outs for the current configuration. The routing structure (crossbar, PADI,
    drivers, row modes, synapse labels) is cached per (input, label) and per list of sources
    (`layout`); amplitudes are recomputed from a layout when only weights change
    (`set_weights`, then `tables`), as during training."""

    def __init__(self, config: ChipConfig, drive_exc: np.ndarray, drive_inh: np.ndarray,
                 synapse_fpn: np.ndarray) -> None:
        self.config = config
        self.drive = (drive_exc, drive_inh)
        self.synapse_fpn = synapse_fpn
        self._structure: dict[tuple[int, int], tuple[list[_RowSet], int]] = {}
        self._layouts: dict[tuple, Layout] = {}
        self.set_weights()

    def set_weights(self) -> None:
        """Take the current synapse weights (amplitude = weight x mismatch x neuron drive,
        evaluated by `tables` for the rows a layout drives)."""
        self._weight = self.config.weight.copy()  # (hemisphere, row, col)

    def row_sets(self, key: tuple[int, int]) -> list[_RowSet]:
        """The synapse rows (with their label matches) an event with this key reaches."""
        return self._structure_of(key)[0]

    def _structure_of(self, key: tuple[int, int]) -> tuple[list[_RowSet], int]:
        hit = self._structure.get(key)
        if hit is None:
            hit = self._structure[key] = self._resolve(*key)
        return hit

    def layout(self, keys: list[tuple[int, int] | None]) -> Layout:
        """The fan-out structure of many sources at once, None for a source that sends
        nothing: what `tables` evaluates with the weights. Built once per list of keys (the
        last few are kept: runs split by PPU accesses vary the keys); a caller that keeps it
        evaluates it again without the keys being looked up."""
        key = tuple(keys)
        layout = self._layouts.get(key)
        if layout is None:
            while len(self._layouts) >= _MAX_LAYOUTS:
                self._layouts.pop(next(iter(self._layouts)))
            layout = self._layouts[key] = self._build_layout(keys)
        return layout

    def tables(self, layout: Layout) -> tuple[np.ndarray, ...]:
        """Fan-outs of the sources of a `layout` of this router with the current weights:
        (entries per source, target neuron, channel, amplitude, L2 label per source or -1)."""
        n_keys = layout.l2.size
        if layout.synapses is not None:
            return self._single_row_tables(layout, n_keys)
        # entries keyed by their place in a dense (slot, hemisphere, column, channel) array,
        # whose C order is the order of the tables; only nonzero drives are entries
        places, drives = [], []
        for channel, (hem, rows, match, slab, starts) in enumerate(layout.channels):
            if rows.size:
                drive = self.drive[channel].reshape(ob.HEMISPHERES, ob.COLUMNS)[hem]
                amp = (self._weight[hem, rows].astype(np.float64) * self.synapse_fpn[hem, rows]
                       * drive) * match
                # rows of one slab summed (nothing to sum when every slab has one row)
                sums = amp if starts.size == rows.size else np.add.reduceat(amp, starts, axis=0)
                flat = np.flatnonzero(sums != 0)
                i, column = np.divmod(flat, ob.COLUMNS)
                places.append((slab[i] * ob.COLUMNS + column) * 2 + channel)
                drives.append(sums.reshape(-1)[flat])
        place = np.concatenate(places) if places else np.zeros(0, np.int64)
        order = np.argsort(place, kind="stable")  # two sorted runs (one per channel): a merge
        k, rest = np.divmod(place[order], ob.NEURONS * 2)  # slot; then neuron and channel
        amplitude = np.concatenate(drives)[order] if drives else np.zeros(0)
        return (np.bincount(layout.active[k], minlength=n_keys), (rest >> 1).astype(np.int32),
                (rest & 1).astype(np.uint8), amplitude, layout.l2)

    def _build_layout(self, keys: list[tuple[int, int] | None]) -> Layout:
        """What `tables` needs of the routing structure for these sources (weights aside)."""
        structures = [None if k is None else self._structure_of(k) for k in keys]
        parts: list[tuple[int, _RowSet]] = [(i, rs) for i, st in enumerate(structures)
                                            if st is not None for rs in st[0]]
        # only sources that reach synapses get a drive slab (most of the 512 neurons do not)
        active = np.array(sorted({i for i, _ in parts}), np.int64)
        slot = {int(s): k for k, s in enumerate(active)}
        channels = []
        src = np.concatenate([np.full(rs.rows.size, slot[i]) for i, rs in parts]) if parts \
            else np.zeros(0, np.int64)
        hem = np.concatenate([np.full(rs.rows.size, rs.hemisphere) for _, rs in parts]) \
            if parts else np.zeros(0, np.int64)
        rows = np.concatenate([rs.rows for _, rs in parts]) if parts else np.zeros(0, np.int64)
        match = np.concatenate([rs.match for _, rs in parts]) if parts else \
            np.zeros((0, ob.COLUMNS), bool)
        group = 2 * src + hem  # non-decreasing: parts come in source, then output order
        for flag in ("excitatory", "inhibitory"):
            sel = np.concatenate([getattr(rs, flag) for _, rs in parts]) if parts else \
                np.zeros(0, bool)
            g = group[sel]
            starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if g.size else \
                np.zeros(0, np.int64)
            channels.append((hem[sel], rows[sel], match[sel], g[starts], starts))
        l2 = np.array([-1 if st is None else st[1] for st in structures], np.int64)
        single = all(starts.size == rows.size for _, rows, _, _, starts in channels)
        return Layout(active, tuple(channels), l2,
                       self._synapses(active, channels) if single else None)

    def _synapses(self, active: np.ndarray, channels: list) -> _Synapses:
        """The driven synapses of a layout whose slabs have one row each, in table order
        (their places in the dense (slot, hemisphere, column, channel) array of `tables`)."""
        parts = []
        for channel, (hem, rows, match, slab, _) in enumerate(channels):
            i, column = np.nonzero(match)
            h, r = hem[i], rows[i]
            drive = self.drive[channel].reshape(ob.HEMISPHERES, ob.COLUMNS)
            parts.append(((h * ob.SYNAPSE_ROWS + r) * ob.COLUMNS + column,
                          self.synapse_fpn[h, r, column], drive[h, column],
                          (slab[i] * ob.COLUMNS + column) * 2 + channel))
        index, fpn, drive, place = (np.concatenate(a) for a in zip(*parts, strict=True))
        order = np.argsort(place, kind="stable")
        k, rest = np.divmod(place[order], ob.NEURONS * 2)  # slot; then neuron and channel
        return _Synapses(index[order], fpn[order], drive[order], active[k],
                         (rest >> 1).astype(np.int32), (rest & 1).astype(np.uint8))

    def _single_row_tables(self, layout: Layout, n_keys: int) -> tuple[np.ndarray, ...]:
        """`tables` of a layout whose slabs have one row each: the drives of its synapses
        (the same products as the dense path's, without the dense planes), the nonzero ones."""
        syn = layout.synapses
        amp = self._weight.reshape(-1).take(syn.weight_index).astype(np.float64)
        amp *= syn.fpn
        amp *= syn.drive
        used = np.flatnonzero(amp != 0)  # (a boolean array's nonzero search is the fast one)
        return (np.bincount(syn.source[used], minlength=n_keys), syn.neuron[used],
                syn.channel[used], amp[used], layout.l2)

    def fanout(self, crossbar_input: int, label14: int) -> Fanout:
        """Fan-out of an event with a 14-bit label entering the given crossbar input."""
        _, neuron, channel, amplitude, l2 = self.tables(self.layout([(crossbar_input, label14)]))
        return Fanout(neuron=neuron, channel=channel, amplitude=amplitude, l2_label=int(l2[0]))

    def _resolve(self, x: int, label14: int) -> tuple[list[_RowSet], int]:
        if x >= PADI_TRIGGER_INPUT_BASE:
            h, bus = divmod(x - PADI_TRIGGER_INPUT_BASE, ob.PADI_BUSES)
            rows = self._bus_rows(h, bus, label14)
            return ([] if rows is None else [rows]), -1
        c = self.config
        nodes = ob.NODES_OF_INPUT[x]
        passes = nodes[(label14 & c.crossbar.mask[nodes]) == c.crossbar.target[nodes]]
        row_sets: list[_RowSet] = []
        l2_label = -1
        for o in ob.CROSSBAR_NODES[passes, 1]:
            if o >= L2_OUTPUT_BASE:
                l2_label = el.pack(el.SPIKE_LABEL, spl1_address=int(o) - L2_OUTPUT_BASE,
                                   neuron_label=label14)
                continue
            h, bus = divmod(int(o), ob.PADI_BUSES)
            if c.padi.enable_spl1[h] >> bus & 1:
                rs = self._bus_rows(h, bus, label14)
                if rs is not None:
                    row_sets.append(rs)
        return row_sets, l2_label

    def _bus_rows(self, h: int, bus: int, label14: int) -> _RowSet | None:
        d = self.config.driver
        drivers = np.flatnonzero(DRIVER_BUS == bus)
        entry = h * ob.SYNAPSE_DRIVERS + drivers
        row_select = el.unpack(el.PADI_LABEL, label14, "row_select")
        listens = (d.enable_receiver[entry] != 0) & (
            ((row_select ^ DRIVER_INDEX[drivers]) & d.row_address_compare_mask[entry]) == 0)
        drivers, entry = drivers[listens], entry[listens]
        if drivers.size == 0:
            return None
        top, bottom = ob.driver_rows(drivers)
        rows = np.concatenate([top, bottom])
        modes = np.concatenate([d.row_mode_top[entry], d.row_mode_bottom[entry]])
        address_out = np.concatenate([d.enable_address_out[entry]] * 2)
        synapse_label = el.unpack(el.PADI_LABEL, label14, "synapse_label")
        syn_label = np.where(address_out, synapse_label, synapse_label & el.SYNAPSE_LABEL_MSB)
        match = self.config.label[h, rows, :] == syn_label[:, None]
        active = (modes != 0) & match.any(axis=1)  # rows where some synapse listens
        if not active.any():
            return None
        rows, modes = rows[active], modes[active]
        return _RowSet(h, rows, (modes & ROW_MODE_EXCITATORY) != 0,
                       (modes & ROW_MODE_INHIBITORY) != 0, match[active])
