"""Configuration words for common chip settings: functions returning (addresses, words) arrays
built from the layouts in protocol.omnibus, for the host and for tests alike."""
from __future__ import annotations

import numpy as np

from . import omnibus as ob
from .synapse import encode_label_rows, encode_weight_rows

Writes = tuple[np.ndarray, np.ndarray]


def _one(address: int, word: int) -> Writes:
    return np.array([address], np.uint32), np.array([word], np.uint32)


def concat(*writes: Writes) -> Writes:
    """Join several write lists, keeping their order."""
    if not writes:
        return np.zeros(0, np.uint32), np.zeros(0, np.uint32)
    return (np.concatenate([w[0] for w in writes]).astype(np.uint32),
            np.concatenate([w[1] for w in writes]).astype(np.uint32))


def neuron_capmem(neuron: int, **codes: int) -> Writes:
    """Per-neuron CapMem cells by row name, e.g. v_leak=80, i_bias_leak=200."""
    block, column = ob.neuron_quadrant(neuron)
    out = []
    for name, value in codes.items():
        if name not in ob.CAPMEM_NEURON_ROWS:
            raise ValueError(f"unknown per-neuron CapMem cell '{name}'")
        out.append(_one(ob.capmem_address(block, column, ob.CAPMEM_NEURON_ROWS.index(name)),
                        ob.CAPMEM_CELL.build(value=value)))
    return concat(*out)


def shared_capmem(block: int, name: str, value: int) -> Writes:
    """A shared CapMem cell (column 128) of one block."""
    if name not in ob.CAPMEM_SHARED_ROWS:
        raise ValueError(f"unknown shared CapMem cell '{name}'")
    return _one(ob.capmem_address(block, 128, ob.CAPMEM_SHARED_ROWS.index(name)),
                ob.CAPMEM_CELL.build(value=value))


def neuron_config(neuron: int, **fields: int) -> Writes:
    """The neuron's analog switch word."""
    block, column = ob.neuron_quadrant(neuron)
    return _one(ob.NEURON_CONFIG_BASE[block] + 2 + ob.NEURON_CONFIG_STRIDE * column,
                ob.NEURON_CONFIG.build(**fields))


def neuron_backend(neuron: int, **fields: int) -> Writes:
    """The neuron's digital backend word."""
    side, index = ob.neuron_backend_index(neuron)
    return _one(ob.NEURON_BACKEND_BASE[side] + index, ob.NEURON_BACKEND.build(**fields))


def neuron_backend_common(side: int, **fields: int) -> Writes:
    """Clock dividers of one backend block (0 west, 1 east)."""
    return _one(ob.NEURON_BACKEND_COMMON_BASE[side], ob.NEURON_BACKEND_COMMON.build(**fields))


def neuron_reset(neuron: int) -> Writes:
    side, index = ob.neuron_backend_index(neuron)
    return _one(ob.NEURON_RESET_BASE[side] + index, ob.TRIGGER.build(trigger=1))


def spike_counter_read_address(neuron: int) -> int:
    side, index = ob.neuron_backend_index(neuron)
    return ob.NEURON_RESET_BASE[side] + ob.SPIKE_COUNTER_READ_OFFSET + index


def spike_counter_reset(neuron: int) -> Writes:
    side, index = ob.neuron_backend_index(neuron)
    return _one(ob.NEURON_RESET_BASE[side] + ob.SPIKE_COUNTER_RESET_OFFSET + index,
                ob.TRIGGER.build(trigger=1))


def crossbar_node(input_: int, output: int, mask: int, target: int) -> Writes:
    """Route labels with (label & mask) == target from a crossbar input to an output."""
    return _one(ob.crossbar_node_address(input_, output),
                ob.CROSSBAR_NODE.build(mask=mask, target=target))


def padi_bus(hemisphere: int, enable_spl1: int) -> Writes:
    """Which PADI buses (bit mask) of a hemisphere take events from the crossbar."""
    return _one(ob.PADI_BASE[hemisphere], ob.PADI_BUS_CONFIG.build(enable_spl1=enable_spl1))


def synapse_driver(hemisphere: int, driver: int, **fields: int) -> Writes:
    return _one(ob.SYNAPSE_DRIVER_BASE[hemisphere] + driver, ob.SYNAPSE_DRIVER.build(**fields))


def synapse_rows(hemisphere: int, rows, weights, labels, time_calib=None,
                 amp_calib=None) -> Writes:
    """Weights and labels (len(rows) x 256, values 0..63) of whole synapse rows."""
    rows = np.atleast_1d(np.asarray(rows, np.int64))
    weights = np.asarray(weights).reshape(rows.size, ob.COLUMNS)
    labels = np.asarray(labels).reshape(rows.size, ob.COLUMNS)
    for name, arr in (("weight", weights), ("label", labels)):
        if arr.size and (arr.min() < 0 or arr.max() > 63):
            raise ValueError(f"synapse {name}s must lie in 0..63")
    zeros = np.zeros_like(weights)
    w_words = encode_weight_rows(weights, zeros if time_calib is None else time_calib)
    l_words = encode_label_rows(labels, zeros if amp_calib is None else amp_calib)
    quads = np.arange(ob.QUADS_PER_ROW)
    base = ob.SYNRAM_BASE[hemisphere] + rows[:, None] * ob.QUADS_PER_ROW + quads[None, :]
    return concat((base.ravel(), w_words.ravel()),
                  ((base + ob.SYNRAM_LABEL_OFFSET).ravel(), l_words.ravel()))


def background_source(index: int, *, period: int, rate: int = 0, mask: int = 0, seed: int = 0,
                      neuron_label: int = 0, enable: int = 1, enable_random: int = 0) -> Writes:
    """All three words of a background spike generator (control word last: enables it)."""
    base = ob.BACKGROUND_BASE + 3 * index
    return concat(_one(base, ob.BACKGROUND_PERIOD.build(period=period, rate=rate, mask=mask)),
                  _one(base + 1, ob.BACKGROUND_SEED.build(seed=seed)),
                  _one(base + 2, ob.BACKGROUND_CONTROL.build(
                      enable=enable, enable_random=enable_random, neuron_label=neuron_label)))
