"""The omnibus register file: word-level reads and writes on the address map of
protocol.omnibus, decoded with its construct layouts into ChipConfig arrays."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.bitfields import FieldRangeError
from bss2emu.protocol.synapse import QUAD_COLUMNS, STORED_TO_WEIGHT, WEIGHT_TO_STORED

from ._core import ffi, lib
from .config import ChipConfig
from .errors import OmnibusError
from .geometry import CROSSBAR_POPULATED

_ADDRESS_INDEX: dict[int, tuple[ob.Block, int]] = {}
_QUAD_COLUMNS_I16 = np.ascontiguousarray(QUAD_COLUMNS, np.int16)


def _index() -> dict[int, tuple[ob.Block, int]]:
    if not _ADDRESS_INDEX:
        for block in ob.BLOCKS:
            for i in range(block.count):
                _ADDRESS_INDEX[block.base + i * block.stride] = (block, i)
    return _ADDRESS_INDEX


def lookup(address: int) -> tuple[ob.Block, int]:
    """(block, entry index) of a word address; OmnibusError for unknown addresses."""
    if not isinstance(address, (int, np.integer)) or not 0 <= address < 1 << 32:
        raise OmnibusError(f"omnibus address {address!r} is not a 32-bit word address", None)
    hit = _index().get(int(address))
    if hit is None:
        raise OmnibusError(f"no register at omnibus address {int(address):#010x}", int(address))
    return hit


def _neuron(side_or_quadrant: str, unit: int, index: int) -> int:
    """Global neuron index from a backend side + index or a quadrant + column."""
    if side_or_quadrant == "side":
        hemisphere, col = divmod(index, 128)
        return hemisphere * 256 + unit * 128 + col
    hemisphere, half = divmod(unit, 2)
    return hemisphere * 256 + half * 128 + index


Device = tuple[Callable[[tuple, int], dict], Callable[[tuple, int, dict], None]]
"""(reader, writer) of a block that is a device (e.g. a PPU), not configuration."""


class RegisterFile:
    """Reads and writes 32-bit words; configuration changes bump the generation counters.
    `devices` serve blocks whose words are device state (PPU memory, control), by kind."""

    def __init__(self, config: ChipConfig, actions: dict[str, Callable[[int], None]],
                 read_counter: Callable[[int], tuple[int, int]],
                 devices: dict[str, Device] | None = None) -> None:
        self.config = config
        self._actions = actions
        self._read_counter = read_counter
        self._devices = devices or {}
        self.generation = 0  # bumped on every configuration change
        self.weight_generation = 0  # bumped on synapse weight changes
        self.structure_generation = 0  # bumped on every other configuration change

    # -- public ---------------------------------------------------------------------------
    def write(self, address: int, word: int) -> None:
        block, index = lookup(address)
        if not block.writable:
            raise OmnibusError(f"{block.name} at {int(address):#010x} is read-only", int(address))
        if not isinstance(word, (int, np.integer)) or not 0 <= word < 1 << 32:
            raise OmnibusError(f"data word {word!r} for {block.name} at {int(address):#010x} "
                               "is not a 32-bit value", int(address))
        try:
            values = block.layout.parse(int(word))
        except FieldRangeError as err:
            raise OmnibusError(str(err), int(address)) from None
        if int(word) != block.layout.build(**values):
            raise OmnibusError(
                f"{block.name} at {int(address):#010x}: word {int(word):#010x} sets reserved bits "
                f"of layout {block.layout.name}", int(address))
        device = self._devices.get(block.kind)
        if device is not None:
            device[1](block.unit, index, values)
            return
        try:
            _WRITERS[block.kind](self, block.unit, index, values)
        except FieldRangeError as err:
            raise OmnibusError(f"{block.name} at {int(address):#010x}: {err}",
                               int(address)) from None
        if block.kind not in _STROBES:
            self.changed(block.kind == "synapse_weight")

    def write_many(self, addresses: np.ndarray, words: np.ndarray) -> None:
        """Ordered writes; synapse-array words take a vectorised path (the bulk of any
        configuration), everything else goes through write()."""
        addresses = np.asarray(addresses, np.int64)
        words = np.asarray(words, np.int64)
        if addresses.shape != words.shape or addresses.ndim != 1:
            raise OmnibusError("write_many needs equally long 1-d address and word arrays")
        if words.size and (words.min() < 0 or words.max() >= 1 << 32):
            bad = int(np.flatnonzero((words < 0) | (words >= 1 << 32))[0])
            raise OmnibusError(f"data word {int(words[bad])} at {int(addresses[bad]):#010x} is "
                               "not a 32-bit value", int(addresses[bad]))
        handled = np.zeros(addresses.size, bool)
        label_plane = False
        span = ob.SYNAPSE_ROWS * ob.QUADS_PER_ROW
        for h in range(ob.HEMISPHERES):
            for plane, offset in ((0, 0), (1, ob.SYNRAM_LABEL_OFFSET)):
                rel = addresses - (ob.SYNRAM_BASE[h] + offset)
                sel = (rel >= 0) & (rel < span)
                if sel.any():
                    self._synapse_bulk(h, plane, rel[sel], words[sel].astype(np.uint32))
                    handled |= sel
                    label_plane |= plane == 1
        for a, w in zip(addresses[~handled].tolist(), words[~handled].tolist(), strict=True):
            self.write(a, w)
        if handled.any():
            self.changed(weights_only=not label_plane)

    def changed(self, weights_only: bool) -> None:
        """Note a configuration change (weights only, or anything else)."""
        self.generation += 1
        if weights_only:
            self.weight_generation += 1
        else:
            self.structure_generation += 1

    def _synapse_bulk(self, h: int, plane: int, index: np.ndarray, words: np.ndarray) -> None:
        """Decode quad words in C, in order (a later word to the same quad wins)."""
        kind = ("synapse_weight", "synapse_label")[plane]
        layout = ob.SYNAPSE_WEIGHT_QUAD if plane == 0 else ob.SYNAPSE_LABEL_QUAD
        value_name, calib_name, value_attr, calib_attr, permuted = _SYNAPSE_PLANES[kind]
        shifts = [np.array([layout.fields[f"{name}_{e}"][0] for e in range(4)], np.int32)
                  for name in (value_name, calib_name)]
        value_width = layout.fields[f"{value_name}_0"][1]
        calib_width = layout.fields[f"{calib_name}_0"][1]
        table = (STORED_TO_WEIGHT if permuted else np.arange(1 << value_width)).astype(np.uint8)
        index = np.ascontiguousarray(index, np.int64)
        words = np.ascontiguousarray(words, np.uint32)
        values = getattr(self.config, value_attr)
        calib = getattr(self.config, calib_attr)
        lib.bss2_synapse_scatter(
            ffi.from_buffer("uint32_t[]", words), ffi.from_buffer("int64_t[]", index),
            index.size, h, ffi.from_buffer("int32_t[]", shifts[0]),
            ffi.from_buffer("int32_t[]", shifts[1]), (1 << value_width) - 1,
            (1 << calib_width) - 1, ffi.from_buffer("uint8_t[]", table),
            ffi.from_buffer("int16_t[]", _QUAD_COLUMNS_I16),
            ffi.from_buffer("uint8_t[]", values, require_writable=True),
            ffi.from_buffer("uint8_t[]", calib, require_writable=True))

    def read(self, address: int) -> int:
        block, index = lookup(address)
        if not block.readable:
            raise OmnibusError(f"{block.name} at {int(address):#010x} is write-only", int(address))
        device = self._devices.get(block.kind)
        if device is not None:
            return block.layout.build(**device[0](block.unit, index))
        return block.layout.build(**_READERS[block.kind](self, block.unit, index))

    # -- per-kind handlers ------------------------------------------------------------------
    def _synapse_quad(self, plane: str, unit, index, values=None):
        """Read (values None) or write the four synapses of one quad word of a plane."""
        value_field, calib_field, value_attr, calib_attr, permuted = _SYNAPSE_PLANES[plane]
        h, (row, quad) = unit[0], divmod(index, ob.QUADS_PER_ROW)
        stored = getattr(self.config, value_attr)
        calib = getattr(self.config, calib_attr)
        if values is None:
            out = {}
            for e, col in enumerate(QUAD_COLUMNS[quad]):
                v = int(stored[h, row, col])
                out[f"{value_field}_{e}"] = int(WEIGHT_TO_STORED[v]) if permuted else v
                out[f"{calib_field}_{e}"] = int(calib[h, row, col])
            return out
        for e, col in enumerate(QUAD_COLUMNS[quad]):
            v = values[f"{value_field}_{e}"]
            stored[h, row, col] = STORED_TO_WEIGHT[v] if permuted else v
            calib[h, row, col] = values[f"{calib_field}_{e}"]
        return None


# plane -> (value field, calib field, ChipConfig value array, calib array, weight-permuted)
_SYNAPSE_PLANES = {
    "synapse_weight": ("weight", "time_calib", "weight", "time_calib", True),
    "synapse_label": ("label", "amp_calib", "label", "amp_calib", False),
}


def _table(pairs: dict[str, str], key: Callable[[tuple, int], object]):
    """(reader, writer) for registers whose fields map 1:1 onto ChipConfig arrays at key()."""

    def read(rf: RegisterFile, unit, index):
        k = key(unit, index)
        return {f: int(getattr(rf.config, attr)[k]) for f, attr in pairs.items()}

    def write(rf: RegisterFile, unit, index, values):
        k = key(unit, index)
        for f, attr in pairs.items():
            getattr(rf.config, attr)[k] = values[f]

    return read, write


def _by_unit_index(unit, index):
    return (*unit, index)


def _crossbar_key(index: int) -> tuple[int, int]:
    output, input_ = divmod(index, ob.CROSSBAR_INPUTS)
    return input_, output


def _crossbar_read(rf: RegisterFile, unit, index):
    i, o = _crossbar_key(index)
    if not CROSSBAR_POPULATED[i, o]:
        raise OmnibusError(f"crossbar node (input {i}, output {o}) is not populated on the chip",
                           ob.crossbar_node_address(i, o))
    c = rf.config
    return {"mask": int(c.crossbar_mask[i, o]), "target": int(c.crossbar_target[i, o]),
            "enable_drop_counter": int(c.crossbar_drop_counter[i, o])}


def _crossbar_write(rf: RegisterFile, unit, index, values):
    i, o = _crossbar_key(index)
    if not CROSSBAR_POPULATED[i, o]:
        raise OmnibusError(f"crossbar node (input {i}, output {o}) is not populated on the chip",
                           ob.crossbar_node_address(i, o))
    c = rf.config
    c.crossbar_mask[i, o] = values["mask"]
    c.crossbar_target[i, o] = values["target"]
    c.crossbar_drop_counter[i, o] = values["enable_drop_counter"]


def _capmem_read(rf: RegisterFile, unit, index):
    q, row = unit
    return {"value": int(rf.config.capmem[q, index, row])}


def _capmem_write(rf: RegisterFile, unit, index, values):
    q, row = unit
    if values["value"] > ob.CAPMEM_MAX:
        raise FieldRangeError(f"capmem_cell.value = {values['value']} out of range "
                              f"0..{ob.CAPMEM_MAX}")
    rf.config.capmem[q, index, row] = values["value"]


def _padi_read(rf: RegisterFile, unit, index):
    bits = rf.config.padi_enable_spl1[unit[0]]
    return {"enable_spl1": int(sum(int(b) << i for i, b in enumerate(bits)))}


def _padi_write(rf: RegisterFile, unit, index, values):
    rf.config.padi_enable_spl1[unit[0]] = [(values["enable_spl1"] >> i) & 1 for i in range(4)]


def _trigger(action: str):
    def write(rf: RegisterFile, unit, index, values):
        if values["trigger"]:
            rf._actions[action](_neuron("side", unit[0], index))

    return write


def _counter_read(rf: RegisterFile, unit, index):
    count, overflow = rf._read_counter(_neuron("side", unit[0], index))
    return {"count": count, "overflow": overflow}


_DRIVER = _table({"row_mode_top": "driver_row_mode_top",
                  "row_mode_bottom": "driver_row_mode_bottom",
                  "row_address_compare_mask": "driver_compare_mask",
                  "enable_address_out": "driver_enable_address_out"}, _by_unit_index)
_NEURON_CONFIG = _table({
    "membrane_capacitance": "membrane_capacitance",
    "enable_threshold_comparator": "enable_threshold_comparator",
    "enable_synaptic_input_exc": "enable_synaptic_input_exc",
    "enable_synaptic_input_inh": "enable_synaptic_input_inh",
    "enable_adaptation": "enable_adaptation", "enable_exponential": "enable_exponential",
    "enable_offset_current": "enable_offset_current", "enable_readout": "enable_readout",
    "readout_source": "readout_source"}, lambda u, i: _neuron("quadrant", u[0], i))
_BACKEND = _table({"address_out": "address_out", "refractory_time": "refractory_time",
                   "reset_holdoff": "reset_holdoff", "select_input_clock": "select_input_clock",
                   "enable_spike_out": "enable_spike_out"}, lambda u, i: _neuron("side", u[0], i))
_BACKEND_COMMON = _table({"clock_scale_slow": "clock_scale_slow",
                          "clock_scale_fast": "clock_scale_fast"}, lambda u, i: u[0])
_BG_PERIOD = _table({"period": "bg_period", "rate": "bg_rate", "mask": "bg_mask"},
                    _by_unit_index)
_COLUMN_CORRELATION = _table({
    "enable_internal_causal": "corr_internal_causal",
    "enable_internal_acausal": "corr_internal_acausal",
    "enable_cadc_neuron_readout_causal": "cadc_neuron_causal",
    "enable_cadc_neuron_readout_acausal": "cadc_neuron_acausal"}, _by_unit_index)
_BG_SEED = _table({"seed": "bg_seed"}, _by_unit_index)
_BG_CONTROL = _table({"enable": "bg_enable", "enable_random": "bg_enable_random",
                      "neuron_label": "bg_neuron_label"}, _by_unit_index)

_STROBES = frozenset({"neuron_reset", "spike_counter_reset"})
"""Registers that trigger an action instead of holding configuration."""

_READERS: dict[str, Callable] = {
    "synapse_weight": lambda rf, u, i: rf._synapse_quad("synapse_weight", u, i),
    "synapse_label": lambda rf, u, i: rf._synapse_quad("synapse_label", u, i),
    "padi_bus_config": _padi_read,
    "synapse_driver": _DRIVER[0],
    "spike_counter_read": _counter_read,
    "neuron_backend": _BACKEND[0],
    "neuron_backend_common": _BACKEND_COMMON[0],
    "background_period": _BG_PERIOD[0],
    "background_seed": _BG_SEED[0],
    "background_control": _BG_CONTROL[0],
    "crossbar_node": _crossbar_read,
    "capmem": _capmem_read,
    "neuron_config": _NEURON_CONFIG[0],
    "column_correlation": _COLUMN_CORRELATION[0],
}
_WRITERS: dict[str, Callable] = {
    "synapse_weight": lambda rf, u, i, v: rf._synapse_quad("synapse_weight", u, i, v),
    "synapse_label": lambda rf, u, i, v: rf._synapse_quad("synapse_label", u, i, v),
    "padi_bus_config": _padi_write,
    "synapse_driver": _DRIVER[1],
    "neuron_reset": _trigger("neuron_reset"),
    "spike_counter_reset": _trigger("spike_counter_reset"),
    "neuron_backend": _BACKEND[1],
    "neuron_backend_common": _BACKEND_COMMON[1],
    "background_period": _BG_PERIOD[1],
    "background_seed": _BG_SEED[1],
    "background_control": _BG_CONTROL[1],
    "crossbar_node": _crossbar_write,
    "capmem": _capmem_write,
    "neuron_config": _NEURON_CONFIG[1],
    "column_correlation": _COLUMN_CORRELATION[1],
}

