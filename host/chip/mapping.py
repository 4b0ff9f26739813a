"""Placement of a first-spike-time network with one hidden layer on the chip, as in the paper:

* input channel i (FPGA, SPL1 channel 0) drives synapse driver i of the top hemisphere, whose
  bottom row (2i) is excitatory and top row (2i + 1) inhibitory: a signed weight w becomes
  max(w, 0) on the excitatory and max(-w, 0) on the inhibitory synapse of the same column;
* hidden neuron h sits in the top hemisphere at column 32 k + s (k = h div 32, s = h mod 32);
  its spikes enter the crossbar at neuron output k, go to bottom PADI bus k and to the FPGA;
* every bottom driver listens to all row-select addresses of its bus; hidden neuron (k, s) owns
  bottom driver 4 s + k (exc/inh row pair, rows 2d and 2d + 1), and its synapse label s picks
  it out of its block;
* label neuron j sits in the bottom hemisphere at column j, label 32 + j, routed to the FPGA.

All crossbar nodes are first set to drop everything (as grenade does), only the columns that
receive synapses get their synaptic current switches closed, and only the used drivers their
receivers enabled. Limits: 128 input channels, 128 hidden neurons, 32 label neurons. All words
come from `protocol.builders`, all labels from `protocol.event_label`; nothing here knows the
chip model.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from bss2emu.protocol import builders as b
from bss2emu.protocol import event_label as el
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.synapse_driver import ROW_MODE_EXCITATORY, ROW_MODE_INHIBITORY
from bss2emu.protocol.synapse import COLUMN_QUAD, QUAD_COLUMNS, encode_weight_quads

from bss2emu.errors import InputError

from .neurons import (
    CLOCK_SCALE_SLOW,
    MEMBRANE_CAPACITANCE,
    REFRACTORY_TIME,
    SYNAPSE_DAC,
    WEIGHT_SCALE,
    NeuronSettings,
)

MAX_INPUTS = ob.SYNAPSE_DRIVERS
MAX_HIDDEN = ob.SYNAPSE_DRIVERS
MAX_LABELS = 32
MAX_WEIGHT = 63
L2_IN = 8  # crossbar input of FPGA events with SPL1 channel 0
OUTPUT_LABEL_BASE = 32
#: SPL1 channel of the sample markers of on-chip learning: the FPGA records them (event ring),
#: no crossbar node passes them (nodes of L2 input 8 + channel are left at drop-all)
MARKER_CHANNEL = 1
#: row modes of a driver's row pair: bottom row 2d excitatory, top row 2d + 1 inhibitory
ROW_MODES = {"row_mode_bottom": ROW_MODE_EXCITATORY, "row_mode_top": ROW_MODE_INHIBITORY}


class MappingError(InputError, ValueError):
    """The network does not fit the chip; the message names the limit."""


@dataclass(frozen=True)
class Placement:
    """Where each layer lives and the labels its spikes carry."""

    n_inputs: int
    n_hidden: int
    n_labels: int

    def __post_init__(self) -> None:
        for what, n, limit in (("input channels", self.n_inputs, MAX_INPUTS),
                               ("hidden neurons", self.n_hidden, MAX_HIDDEN),
                               ("label neurons", self.n_labels, MAX_LABELS)):
            if n > limit:
                raise MappingError(f"{n} {what} do not fit the chip (at most {limit}: one "
                                   f"synapse driver row pair each)")
            if n < 1:
                raise MappingError(f"need at least one of the {what}")

    @property
    def hidden_neurons(self) -> np.ndarray:
        h = np.arange(self.n_hidden)
        return 32 * (h // 32) + h % 32

    @property
    def label_neurons(self) -> np.ndarray:
        return ob.COLUMNS + np.arange(self.n_labels)

    @property
    def input_labels(self) -> np.ndarray:
        """16-bit FPGA labels of the input channels: row select = driver index, synapse i."""
        i = np.arange(self.n_inputs)
        return el.pack(el.PADI_LABEL, row_select=i // 4, synapse_label=i % 64)

    @property
    def hidden_labels(self) -> np.ndarray:
        """Labels of hidden spikes as the FPGA sees them: (SPL1 k, event output k, slot s)."""
        h = np.arange(self.n_hidden)
        k, s = h // 32, h % 32
        return el.pack(el.SPIKE_LABEL, spl1_address=k, neuron_label=el.pack(
            el.NEURON_EVENT_LABEL, event_output=k, address_out=s))

    @property
    def output_labels(self) -> np.ndarray:
        return OUTPUT_LABEL_BASE + np.arange(self.n_labels)

    @property
    def hidden_drivers(self) -> np.ndarray:
        h = np.arange(self.n_hidden)
        return 4 * (h % 32) + h // 32


def marker_label(index: int) -> int:
    """16-bit label of a sample marker: SPL1 channel MARKER_CHANNEL, `index` in the 14 bits."""
    if not 0 <= index <= el.NEURON_LABEL_MASK:
        raise ValueError(f"marker index {index} outside 0..{el.NEURON_LABEL_MASK}")
    return el.pack(el.SPIKE_LABEL, spl1_address=MARKER_CHANNEL, neuron_label=index)


@dataclass
class MappingReport:
    """What the chip changed about the network's weights."""

    clipped: int = 0
    rounded_to_zero: int = 0
    rows_used: int = 0
    neurons_used: int = 0

    def summary(self) -> str:
        return (f"{self.neurons_used} neurons and {self.rows_used} synapse rows used; "
                f"{self.clipped} weights clipped to +-{MAX_WEIGHT}, {self.rounded_to_zero} "
                f"non-zero weights rounded to 0")


def hardware_weights(weights: np.ndarray, scale: float = WEIGHT_SCALE
                     ) -> tuple[np.ndarray, int, int]:
    """Signed integer weights round(scale w) clipped to +-63, with clip and zero counts."""
    raw = np.asarray(weights, np.float64) * scale
    np.rint(raw, out=raw)  # what np.round does to 0 decimals: halves to even
    clipped = int(np.count_nonzero(np.abs(raw) > MAX_WEIGHT))
    zeroed = int(np.count_nonzero((raw == 0) & (weights != 0)))
    np.maximum(raw, -MAX_WEIGHT, out=raw)
    np.minimum(raw, MAX_WEIGHT, out=raw)
    return raw.astype(np.int64), clipped, zeroed


def quantise(placement: Placement, w_in: np.ndarray, w_out: np.ndarray,
             scale: float = WEIGHT_SCALE) -> tuple[np.ndarray, np.ndarray, MappingReport]:
    """Hardware weights of both layers and the report of what quantisation changed."""
    hw_in, c1, z1 = hardware_weights(w_in, scale)
    hw_out, c2, z2 = hardware_weights(w_out, scale)
    report = MappingReport(clipped=c1 + c2, rounded_to_zero=z1 + z2,
                           rows_used=2 * (placement.n_inputs + placement.n_hidden),
                           neurons_used=placement.n_hidden + placement.n_labels)
    return hw_in, hw_out, report


def weight_writes(placement: Placement, w_in: np.ndarray, w_out: np.ndarray) -> b.Writes:
    """Synapse words of both weight matrices (hardware units, signed): whole rows of both
    arrays, weight planes and label planes (`synapse_writes` of `weight_quad_words`)."""
    return synapse_writes(placement, weight_quad_words(placement, w_in, w_out)[1])


def synapse_writes(placement: Placement, quad_words: np.ndarray) -> b.Writes:
    """Whole synapse rows of both arrays with `quad_words` (of `weight_quad_words`) in the
    weight quads. Everything else depends on the placement only and is built once per
    placement (`_synapse_rows`), so a caller that keeps the quad words encodes them once."""
    rows = _synapse_rows(placement)
    words = rows.words.copy()
    words[rows.quad_positions] = quad_words
    return rows.addresses, words


def weight_quad_words(placement: Placement, w_in: np.ndarray, w_out: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The words of `weight_writes` that depend on the weights, in address order: their
    addresses (the same for every call with this placement, read-only) and the words, the
    quads' encoded magnitudes, excitatory row then inhibitory row per input (top array) and
    per hidden neuron (its two bottom rows)."""
    rows = _synapse_rows(placement)
    w_in, w_out = np.asarray(w_in, np.int64), np.asarray(w_out, np.int64)
    if w_in.shape != (placement.n_inputs, placement.n_hidden) \
            or w_out.shape != (placement.n_hidden, placement.n_labels):
        raise ValueError(f"weight shapes {w_in.shape} and {w_out.shape} do not fit the placement")
    weights = np.concatenate([w_in.reshape(-1), w_out.reshape(-1)])
    signed = np.concatenate([weights, -weights, [0]])  # what rows.entry_weight indexes
    if signed.max() > MAX_WEIGHT:  # (signed holds w and -w: its maximum is the largest |w|)
        raise ValueError(f"synapse weights must lie in -{MAX_WEIGHT}..{MAX_WEIGHT}")
    # every quad entry's magnitude: the excitatory row takes w > 0, the inhibitory row -w > 0
    np.maximum(signed, 0, out=signed)
    words = encode_weight_quads(signed[rows.entry_weight]).astype(rows.words.dtype)
    return rows.quad_addresses, words


@dataclass(frozen=True)
class _WeightQuads:
    """The weight quads of one layer's rows: their positions among `weight_writes`' words (row
    of the layer, quad) and, per quad entry, the weight's column in the layer's matrix (its
    width where the entry holds no weight)."""

    positions: np.ndarray
    entries: np.ndarray


@dataclass(frozen=True)
class _SynapseRows:
    """The synapse rows `weight_writes` writes: addresses and words with zero weights, and where
    the weight quads lie among them and which weight each entry takes, for the top array (rows
    2i, 2i + 1 of input i) and the bottom array (the two rows of each hidden neuron's spikes,
    excitatory then inhibitory)."""

    addresses: np.ndarray
    words: np.ndarray
    quad_positions: np.ndarray  # of both layers' quads, ascending
    quad_addresses: np.ndarray  # their addresses
    # per quad (in that order) and entry: the index of the value it takes among both layers'
    # weights w (flat), then -w, then a zero (for entries without a weight): an excitatory
    # row takes w, an inhibitory one -w
    entry_weight: np.ndarray


def _weight_quads(first: int, rows: np.ndarray, columns: np.ndarray) -> _WeightQuads:
    """Weight quads of the rows at indices `rows` of a `synapse_rows` call whose words start at
    word `first`, whose weights sit in `columns` (column j of the layer's weight matrix at
    array column columns[j])."""
    quads = np.unique(COLUMN_QUAD[columns])
    column_of = np.full(ob.COLUMNS, columns.size)  # array column -> matrix column
    column_of[columns] = np.arange(columns.size)
    return _WeightQuads(first + b.synapse_rows_weight_positions(rows, quads),
                        column_of[QUAD_COLUMNS[quads]])


@lru_cache(maxsize=16)
def _synapse_rows(placement: Placement) -> _SynapseRows:
    synapse_labels = el.unpack(el.PADI_LABEL, placement.input_labels, "synapse_label")
    top_rows = np.arange(2 * placement.n_inputs)
    top_labels = np.repeat(synapse_labels, 2)[:, None] * np.ones((1, ob.COLUMNS), np.int64)
    drivers = placement.hidden_drivers
    bottom_of_hidden = np.stack([2 * drivers, 2 * drivers + 1], axis=1).ravel()
    bottom_labels = np.full((2 * ob.SYNAPSE_DRIVERS, ob.COLUMNS), 0x3F, np.int64)
    bottom_labels[bottom_of_hidden[:, None], np.arange(placement.n_labels)[None, :]] = \
        np.repeat(np.arange(placement.n_hidden) % 32, 2)[:, None]
    bottom_rows = np.arange(2 * ob.SYNAPSE_DRIVERS)
    top = b.synapse_rows(0, top_rows, np.zeros_like(top_labels), top_labels)
    bottom = b.synapse_rows(1, bottom_rows, np.zeros_like(bottom_labels), bottom_labels)
    addresses, words = b.concat(top, bottom)
    addresses.flags.writeable = False
    words.flags.writeable = False
    # both calls' rows are all rows from 0, so a row's index among them is its number
    top_quads = _weight_quads(0, top_rows, placement.hidden_neurons)
    bottom_quads = _weight_quads(top[1].size, bottom_of_hidden,
                                 placement.label_neurons % ob.COLUMNS)
    # the value of each quad entry: layer matrices flat one after the other, then all negated,
    # a zero last; row pair k of a layer is row k of its matrix (input i; hidden neuron h),
    # its odd row the inhibitory one
    n_in, n_hidden, n_labels = placement.n_inputs, placement.n_hidden, placement.n_labels
    n_weights = n_in * n_hidden + n_hidden * n_labels
    entries, positions = [], []
    for quads, first, width in ((top_quads, 0, n_hidden),
                                (bottom_quads, n_in * n_hidden, n_labels)):
        row = np.arange(quads.positions.shape[0])
        start = first + row // 2 * width + row % 2 * n_weights
        index = np.where(quads.entries[None] < width,
                         start[:, None, None] + quads.entries[None], 2 * n_weights)
        entries.append(index.reshape(-1, 4))
        positions.append(quads.positions.reshape(-1))
    positions = np.concatenate(positions)
    order = np.argsort(positions, kind="stable")
    positions, entry_weight = positions[order], np.concatenate(entries)[order]
    quad_addresses = addresses[positions]
    for array in (positions, quad_addresses, entry_weight):
        array.flags.writeable = False
    return _SynapseRows(addresses, words, positions, quad_addresses, entry_weight)


def configuration_writes(placement: Placement, settings: NeuronSettings | None = None
                         ) -> b.Writes:
    """Everything but the weights: neurons, routing, drivers."""
    settings = settings or NeuronSettings()
    writes = [b.crossbar_drop_all()]
    writes += [b.common_neuron_backend(side, clock_scale_slow=CLOCK_SCALE_SLOW)
               for side in range(2)]
    writes += [b.shared_capmem(block, "syn_i_bias_dac", SYNAPSE_DAC) for block in range(4)]
    layers = ((placement.hidden_neurons, np.arange(placement.n_hidden) % 32),
              (placement.label_neurons, OUTPUT_LABEL_BASE + np.arange(placement.n_labels)))
    for neurons, addresses in layers:
        for n, address_out in zip(neurons.tolist(), addresses.tolist(), strict=True):
            writes += [
                b.neuron_capmem(n, **settings.for_neuron(n)),
                b.neuron_config(n, membrane_capacitor_size=MEMBRANE_CAPACITANCE,
                                enable_fire=1, enable_threshold_comparator=1,
                                enable_synaptic_input_excitatory=1,
                                enable_synaptic_input_inhibitory=1),
                b.neuron_backend(n, address_out=address_out, refractory_time=REFRACTORY_TIME,
                                 reset_holdoff=15, enable_spike_out=1),
            ]
    # inputs: FPGA channel 0 to the top PADI buses only (the bottom ones would reach the
    # hidden neurons' rows); one driver per input channel
    writes += [b.crossbar_node(L2_IN, bus, 0, 0) for bus in range(4)]
    writes.append(b.padi_bus(0, 0xF))
    writes += [b.synapse_driver(0, i, enable_receiver=1, row_address_compare_mask=0x1F,
                                **ROW_MODES) for i in range(placement.n_inputs)]
    for h, columns in ((0, placement.hidden_neurons), (1, placement.label_neurons % ob.COLUMNS)):
        used = np.zeros(ob.COLUMNS, np.uint32)
        used[columns] = 1
        writes.append(b.column_currents(h, used, used))
    # hidden spikes: neuron outputs 0..3 to the bottom PADI buses and everything to the FPGA
    for k in range(4):
        writes += [b.crossbar_node(k, 4 + k, 0, 0), b.crossbar_node(k, 8 + k, 0, 0)]
    writes.append(b.padi_bus(1, 0xF))
    writes += [b.synapse_driver(1, int(d), enable_receiver=1, row_address_compare_mask=0,
                                **ROW_MODES) for d in placement.hidden_drivers]
    return b.concat(*writes)


def map_network(w_in: np.ndarray, w_out: np.ndarray, settings: NeuronSettings | None = None,
                scale: float = WEIGHT_SCALE) -> tuple[Placement, b.Writes, MappingReport,
                                                      tuple[np.ndarray, np.ndarray]]:
    """Model weights (n_inputs x n_hidden, n_hidden x n_labels) -> placement, all
    configuration words, a report, and the hardware weights written."""
    w_in, w_out = np.asarray(w_in, np.float64), np.asarray(w_out, np.float64)
    if w_in.ndim != 2 or w_out.ndim != 2 or w_in.shape[1] != w_out.shape[0]:
        raise MappingError(f"weight shapes {w_in.shape} and {w_out.shape} do not chain "
                           "(need n_inputs x n_hidden and n_hidden x n_labels)")
    placement = Placement(w_in.shape[0], w_in.shape[1], w_out.shape[1])
    hw_in, hw_out, report = quantise(placement, w_in, w_out, scale)
    writes = b.concat(configuration_writes(placement, settings),
                      weight_writes(placement, hw_in, hw_out))
    return placement, writes, report, (hw_in, hw_out)
