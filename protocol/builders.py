"""Configuration words for common chip settings: functions returning (addresses, words) arrays
built from the containers of protocol.layouts at the addresses of protocol.omnibus, for the host
and for tests alike. Multi-word containers are written whole, in haldls' word order."""
from __future__ import annotations

import numpy as np

from . import omnibus as ob
from .layouts.crossbar import DROP_ALL
from .synapse import QUAD_COLUMNS, encode_label_rows, encode_rows, encode_weight_rows

Writes = tuple[np.ndarray, np.ndarray]


def _one(address: int, word: int) -> Writes:
    return np.array([address], np.uint32), np.array([word], np.uint32)


def concat(*writes: Writes) -> Writes:
    """Join several write lists, keeping their order."""
    if not writes:
        return np.zeros(0, np.uint32), np.zeros(0, np.uint32)
    return (np.concatenate([w[0] for w in writes]).astype(np.uint32),
            np.concatenate([w[1] for w in writes]).astype(np.uint32))


def entry(kind: str, unit: tuple[int, ...], index: int, order: tuple[int, ...] | None = None,
          **fields: int) -> Writes:
    """All words of one container entry (missing fields take haldls' defaults)."""
    block = ob.block(kind, *unit)
    words = block.container.encode(**fields)
    order = order if order is not None else tuple(range(len(words)))
    return (np.array([block.address(index, k) for k in order], np.uint32),
            np.array([words[k] for k in order], np.uint32))


# --- neurons ---------------------------------------------------------------------------------
def neuron_capmem(neuron: int, **codes: int) -> Writes:
    """Per-neuron CapMem cells by row name, e.g. v_leak=80, i_bias_leak=200."""
    block, column = ob.neuron_quadrant(neuron)
    out = []
    for name, value in codes.items():
        if name not in ob.CAPMEM_NEURON_ROWS:
            raise ValueError(f"unknown per-neuron CapMem cell '{name}'")
        out.append(entry("capmem_cell", (block,),
                         column * ob.CAPMEM_ROWS + ob.CAPMEM_NEURON_ROWS.index(name), value=value))
    return concat(*out)


def shared_capmem(block: int, name: str, value: int) -> Writes:
    """A shared CapMem cell of one block (ob.CAPMEM_SHARED_CELLS)."""
    if name not in ob.CAPMEM_SHARED_CELLS:
        raise ValueError(f"unknown shared CapMem cell '{name}'")
    column, row = ob.CAPMEM_SHARED_CELLS[name]
    return entry("capmem_cell", (block,), column * ob.CAPMEM_ROWS + row, value=value)


def neuron_config(neuron: int, **fields: int) -> Writes:
    """All six NeuronConfig words of a neuron (fields not given are 0)."""
    block, column = ob.neuron_quadrant(neuron)
    return entry("neuron_config", (block,), column, **fields)


def neuron_backend(neuron: int, **fields: int) -> Writes:
    """All four NeuronBackendConfig words of a neuron (missing fields: haldls defaults)."""
    side, index = ob.neuron_backend_index(neuron)
    return entry("neuron_backend", (side,), index, **fields)


def common_neuron_backend(side: int, **fields: int) -> Writes:
    """Both CommonNeuronBackendConfig words of a backend block (0 west, 1 east)."""
    return entry("common_neuron_backend", (side,), 0, **fields)


def neuron_reset(neuron: int) -> Writes:
    """NeuronReset trigger (data 0, as haldls)."""
    side, index = ob.neuron_backend_index(neuron)
    return entry("neuron_reset", (side,), index, value=0)


def spike_counter_read_address(neuron: int) -> int:
    side, index = ob.neuron_backend_index(neuron)
    return ob.block("spike_counter_read", side).address(index)


def spike_counter_reset(neuron: int) -> Writes:
    """SpikeCounterReset trigger (data 0, as haldls)."""
    side, index = ob.neuron_backend_index(neuron)
    return entry("spike_counter_reset", (side,), index, value=0)


# --- routing ---------------------------------------------------------------------------------
def crossbar_node(input_: int, output: int, mask: int, target: int,
                  enable_drop_counter: int = 0) -> Writes:
    """Route labels with (label & mask) == target from a crossbar input to an output."""
    return entry("crossbar_node", (), ob.crossbar_node_number(input_, output), mask=mask,
                 target=target, enable_drop_counter=enable_drop_counter)


def crossbar_drop_all() -> Writes:
    """Every crossbar node set to drop all events (grenade's first step)."""
    return concat(*[entry("crossbar_node", (), n, **DROP_ALL)
                    for n in range(len(ob.CROSSBAR_NODES))])


def padi_bus(hemisphere: int, enable_spl1: int, **fields: int) -> Writes:
    """CommonPADIBusConfig: which PADI buses (bit mask) take events from the crossbar."""
    return entry("common_padi_bus_config", (hemisphere,), 0, enable_spl1=enable_spl1, **fields)


def synapse_driver(hemisphere: int, driver: int, **fields: int) -> Writes:
    """All three SynapseDriverConfig words (missing fields: haldls defaults, receiver off)."""
    return entry("synapse_driver", (hemisphere,), driver, **fields)


def background_source(index: int, *, period: int, rate: int = 0, mask: int = 0, seed: int = 0,
                      neuron_label: int = 0, enable: int = 1, enable_random: int = 0) -> Writes:
    """A background spike source, written as haldls does: seed, then mask/rate/label, then
    enable/period last (enabling loads the seed)."""
    return entry("background_spike_source", (), index, order=(1, 2, 0), period=period,
                 rate=rate, mask=mask, seed=seed, neuron_label=neuron_label, enable=enable,
                 enable_random=enable_random)


# --- synapse array and column switches ---------------------------------------------------------
def synapse_rows(hemisphere: int, rows, weights, labels) -> Writes:
    """Weight and label planes (len(rows) x 256, values 0..63) of whole synapse rows."""
    rows = np.atleast_1d(np.asarray(rows, np.int64))
    weights = np.asarray(weights).reshape(rows.size, ob.COLUMNS)
    labels = np.asarray(labels).reshape(rows.size, ob.COLUMNS)
    for name, arr in (("weight", weights), ("label", labels)):
        if arr.size and (arr.min() < 0 or arr.max() > 63):
            raise ValueError(f"synapse {name}s must lie in 0..63")
    quads = np.arange(ob.QUADS_PER_ROW)
    index = (rows[:, None] * ob.QUADS_PER_ROW + quads[None, :]).ravel()
    return concat(
        (ob.block("synapse_weight_quad", hemisphere).addresses(index),
         encode_weight_rows(weights).ravel()),
        (ob.block("synapse_label_quad", hemisphere).addresses(index),
         encode_label_rows(labels).ravel()))


def synapse_rows_weight_positions(rows: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """Positions among the words of `synapse_rows` of the weight words of `quads` (along the
    last axis) of the rows at indices `rows` (along the first) of its `rows` argument: it lists
    the weight words row by row, 64 quads each, then the label words likewise."""
    return (np.asarray(rows, np.int64)[:, None] * ob.QUADS_PER_ROW
            + np.asarray(quads, np.int64)[None, :])


def _switch_quads(kind: str, hemisphere: int, word: int, **columns: np.ndarray) -> Writes:
    """Word `word` of all 64 switch quads of a hemisphere from per-column 0/1 arrays."""
    block = ob.block(kind, hemisphere)
    layout = block.container.words[word]
    words = np.zeros(ob.QUADS_PER_ROW, np.uint32)
    for name, values in columns.items():
        values = np.broadcast_to(np.asarray(values, np.uint32), (ob.COLUMNS,))
        words |= encode_rows(layout, name, values)
    quads = np.arange(ob.QUADS_PER_ROW)
    return block.addresses(quads, word), words


def column_currents(hemisphere: int, excitatory, inhibitory) -> Writes:
    """ColumnCurrentQuad: connect (1) or disconnect (0) each column's excitatory and inhibitory
    synaptic current to its neuron (per-column arrays or scalars)."""
    return _switch_quads("column_current_quad", hemisphere, 0,
                         enable_synaptic_current_excitatory=excitatory,
                         enable_synaptic_current_inhibitory=inhibitory)


def column_correlation(hemisphere: int, *, internal_causal=0, internal_acausal=0,
                       cadc_readout_causal=0, cadc_readout_acausal=0) -> Writes:
    """ColumnCorrelationQuad words 0, 2, 3 (internal sensors to the CADC, or the neuron's
    membrane to the CADC channel) from per-column arrays or scalars."""
    return concat(
        _switch_quads("column_correlation_quad", hemisphere, 0,
                      enable_internal_causal=internal_causal,
                      enable_internal_acausal=internal_acausal),
        _switch_quads("column_correlation_quad", hemisphere, 2,
                      enable_cadc_neuron_readout_causal=cadc_readout_causal),
        _switch_quads("column_correlation_quad", hemisphere, 3,
                      enable_cadc_neuron_readout_acausal=cadc_readout_acausal))


def quad_entries(quad: int) -> np.ndarray:
    """Columns of the four entries of a quad column."""
    return QUAD_COLUMNS[quad]


# --- readout ---------------------------------------------------------------------------------
def madc_record(neurons: list[int]) -> Writes:
    """Put up to two neurons on the MADC: each one's readout on (NeuronConfig word 1), its
    line selected on readout multiplexer = channel, then MADCControl start_recording."""
    if not 1 <= len(neurons) <= 2:
        raise ValueError("the MADC records 1 or 2 neurons")
    selection = {}
    out = []
    for channel, neuron in enumerate(neurons):
        if not 0 <= int(neuron) < ob.NEURONS:
            raise ValueError(f"neuron {neuron} outside 0..{ob.NEURONS - 1}")
        block, column = ob.neuron_quadrant(int(neuron))
        config = ob.block("neuron_config", block)
        word = config.container.encode(enable_readout=1, enable_readout_amplifier=1)[1]
        out.append(_one(config.address(column, 1), word))
        line = madc_line(int(neuron))
        if any(key.endswith(line) for key in selection):
            raise ValueError(f"neurons {list(neurons)} share the readout line {line}")
        selection[f"mux_{channel}_{line}"] = 1
    out.append(entry("readout_source_selection", (), 0, **selection))
    out.append(entry("madc_control", (), 0, start_recording=1))
    return concat(*out)


def madc_stop(neurons: list[int]) -> Writes:
    """MADCControl stop_recording, and the readout of the recorded neurons off again."""
    out = [entry("madc_control", (), 0, stop_recording=1)]
    for neuron in neurons:
        block, column = ob.neuron_quadrant(int(neuron))
        config = ob.block("neuron_config", block)
        out.append(_one(config.address(column, 1), config.container.encode()[1]))
    return concat(*out)


def madc_line(neuron: int) -> str:
    """The readout line a neuron's readout drives (hemisphere and column parity); the MADC
    records at most one neuron per line at a time."""
    hemisphere = "top" if neuron < ob.COLUMNS else "bottom"
    return f"neuron_{hemisphere}_{'odd' if neuron % 2 else 'even'}"
