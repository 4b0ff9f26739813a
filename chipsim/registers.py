"""The omnibus register file: word-level reads and writes on the address map of
protocol.omnibus, decoded with its container layouts into ChipConfig state.

Configuration containers keep logical field values (ChipConfig.fields); a word is encoded from
them on read and decoded into them on write, so a container split over several words, with
inverted or bit-reversed fields, behaves as on the chip. The synapse array views and column
switches decode into the model's arrays; triggers, counters and devices go to the chip's
handlers.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.bitfields import FieldRangeError
from bss2emu.protocol.synapse import QUAD_COLUMNS, STORED_TO_WEIGHT, WEIGHT_TO_STORED

from ._core import ffi, lib
from .config import ChipConfig
from .effects import changes_network
from .errors import OmnibusError

_QUAD_COLUMNS_I16 = np.ascontiguousarray(QUAD_COLUMNS, np.int16)
#: write_many's run fast path applies to at most this many runs of consecutive addresses
MAX_RUNS = 64
_IDENTITY = np.arange(256, dtype=np.uint8)
_TO_WEIGHT = STORED_TO_WEIGHT.astype(np.uint8)


def lookup(address: int) -> tuple[ob.Block, int, int]:
    """(block, entry, word) of a word address; OmnibusError for unknown addresses."""
    if not isinstance(address, (int, np.integer)) or not 0 <= address < 1 << 32:
        raise OmnibusError(f"omnibus address {address!r} is not a 32-bit word address", None)
    hit = ob.locate(int(address))
    if hit is None:
        raise OmnibusError(f"no register at omnibus address {int(address):#010x}", int(address))
    return hit


Reader = Callable[[ob.Block, int], dict]
Writer = Callable[[ob.Block, int, dict], None]

# synapse array views: kind -> per word: ((field prefix, ChipConfig array, weight-permuted), ...)
_SYNAPSE_VIEWS: dict[str, tuple[tuple[tuple[str, str, bool], ...], ...]] = {
    "synapse_weight_quad": ((("weight", "weight", True),),),
    "synapse_label_quad": ((("label", "label", False),),),
    "synapse_time_calib_quad": ((("time_calib", "time_calib", False),),),
    "synapse_amp_calib_quad": ((("amp_calib", "amp_calib", False),),),
    "synapse_quad": ((("weight", "weight", True), ("time_calib", "time_calib", False)),
                     (("label", "label", False), ("amp_calib", "amp_calib", False))),
}
_WEIGHT_ONLY = frozenset({"weight", "time_calib"})
"""Arrays whose change leaves the routing structure alone (amplitudes only)."""

# per-column switch quads: kind -> field -> ChipConfig (hemisphere, column) array
_COLUMN_SWITCHES: dict[str, dict[str, str]] = {
    "column_correlation_quad": {
        "enable_internal_causal": "corr_internal_causal",
        "enable_internal_acausal": "corr_internal_acausal",
        "enable_debug_causal": "corr_debug_causal", "enable_debug_acausal": "corr_debug_acausal",
        "enable_cadc_neuron_readout_causal": "cadc_neuron_causal",
        "enable_cadc_neuron_readout_acausal": "cadc_neuron_acausal"},
    "column_current_quad": {
        "enable_synaptic_current_excitatory": "current_exc",
        "enable_synaptic_current_inhibitory": "current_inh",
        "enable_debug_excitatory": "current_debug_exc",
        "enable_debug_inhibitory": "current_debug_inh"},
}


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The arrays one after the other (a single one as it is)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class RegisterFile:
    """Reads and writes 32-bit words; configuration changes bump the generation counters.
    `handlers` serve the kinds that are not configuration (triggers, counters, devices) with
    (reader, writer) pairs; `on_change` hooks see a configuration entry's old and new values."""

    def __init__(self, config: ChipConfig,
                 handlers: dict[str, tuple[Reader | None, Writer | None]],
                 on_change: dict[str, Callable[[int, dict, dict], None]] | None = None) -> None:
        self.config = config
        self._handlers = handlers
        self._on_change = on_change or {}
        self.generation = 0  # bumped on every configuration change
        self.weight_generation = 0  # bumped on synapse weight changes
        self.structure_generation = 0  # bumped on every other configuration change
        #: configuration-table words read so far: address -> (table, entry, container, word)
        #: (bounded: the tables have ~7000 words)
        self._table_reads: dict[int, tuple[dict, int, object, int]] = {}

    # -- public ---------------------------------------------------------------------------
    def write(self, address: int, word: int) -> None:
        block, index, k = lookup(address)
        if not block.writable:
            raise OmnibusError(f"{block.name} at {int(address):#010x} is read-only", int(address))
        if not isinstance(word, (int, np.integer)) or not 0 <= word < 1 << 32:
            raise OmnibusError(f"data word {word!r} for {block.name} at {int(address):#010x} "
                               "is not a 32-bit value", int(address))
        try:
            self._write(block, index, k, int(word))
        except FieldRangeError as err:
            raise OmnibusError(f"{block.name} at {int(address):#010x}: {err}",
                               int(address)) from None

    def read(self, address: int) -> int:
        plan = self._table_reads.get(address) if type(address) is int else None
        if plan is None:
            block, index, k = lookup(address)
            if not block.readable:
                raise OmnibusError(f"{block.name} at {int(address):#010x} is write-only",
                                   int(address))
            kind = block.kind
            table = self.config.fields.get(kind)  # None: kept elsewhere (arrays, CapMem)
            if table is None or kind in self._handlers:
                return block.container.encode_word(self._values(block, index), k)
            plan = (table, block.first + index, block.container, k)
            self._table_reads[int(address)] = plan
        table, entry, container, k = plan  # a configuration table: only the fields of word k
        return container.encode_word(
            {name: table[name].item(entry) for name in container.word_fields[k]}, k)

    def fields(self, kind: str, entry: int) -> dict[str, int]:
        """Logical field values of a configuration entry (entry = halco enumeration)."""
        for block in ob.KINDS[kind]:
            if block.first <= entry < block.first + block.count:
                return self._values(block, entry - block.first)
        raise KeyError(f"{kind} has no entry {entry}")

    def write_many(self, addresses: np.ndarray, words: np.ndarray) -> None:
        """Ordered writes; weight- and label-plane words take a vectorised path (the bulk of
        any configuration), everything else goes through write(). Words given as uint32 (as the
        FPGA queues them) need no range check and no conversion."""
        addresses = np.asarray(addresses)
        if addresses.dtype != np.uint32:
            addresses = np.asarray(addresses, np.int64)
        words = np.asarray(words)
        if addresses.shape != words.shape or addresses.ndim != 1:
            raise OmnibusError("write_many needs equally long 1-d address and word arrays")
        if words.dtype != np.uint32:
            words = np.asarray(words, np.int64)
            if words.size and (words.min() < 0 or words.max() >= 1 << 32):
                bad = int(np.flatnonzero((words < 0) | (words >= 1 << 32))[0])
                raise OmnibusError(f"data word {int(words[bad])} at {int(addresses[bad]):#010x}"
                                   " is not a 32-bit value", int(addresses[bad]))
            words = words.astype(np.uint32)
        if self._synapse_runs(addresses, words):
            return
        addresses = np.asarray(addresses, np.int64)
        handled = np.zeros(addresses.size, bool)
        structure = False
        span = ob.SYNAPSE_ROWS * ob.QUADS_PER_ROW
        low, high = (int(addresses.min()), int(addresses.max())) if addresses.size else (0, -1)
        for h in range(ob.HEMISPHERES):
            for kind in ("synapse_weight_quad", "synapse_label_quad"):
                block = ob.block(kind, h)
                if block.base > high or block.base + span <= low:
                    continue  # no address in this block: skip the passes over all of them
                rel = addresses - block.base
                sel = rel.view(np.uint64) < span  # one compare: below the base wraps around
                count = int(np.count_nonzero(sel))
                if count == addresses.size:
                    self._synapse_bulk(block, rel, words)
                elif count:
                    self._synapse_bulk(block, rel[sel], words[sel])
                if count:
                    handled |= sel
                    structure |= kind == "synapse_label_quad"
        for a, w in zip(addresses[~handled].tolist(), words[~handled].tolist(), strict=True):
            self.write(a, w)
        if handled.any():
            self.changed(weights_only=not structure)

    def _synapse_runs(self, addresses: np.ndarray, words: np.ndarray) -> bool:
        """Fast path of write_many for the common bulk layout: a few runs of consecutive
        addresses, each inside one weight or label plane (e.g. whole synapse arrays, or the
        changed words of a weight update). The runs of each plane are written in order in one
        pass (planes are independent), without masks over all words. False (nothing written)
        when the writes do not have that shape."""
        if addresses.size < 2:
            return False
        breaks = np.flatnonzero(np.subtract(addresses[1:], addresses[:-1], dtype=np.int64)
                                != 1) + 1
        if breaks.size > MAX_RUNS:
            return False
        starts = [0, *breaks.tolist()]
        ends = [*breaks.tolist(), addresses.size]
        span = ob.SYNAPSE_ROWS * ob.QUADS_PER_ROW
        planes = {ob.block(kind, h).base: ob.block(kind, h) for h in range(ob.HEMISPHERES)
                  for kind in ("synapse_weight_quad", "synapse_label_quad")}
        runs: dict[int, tuple[ob.Block, list[np.ndarray], list[np.ndarray]]] = {}
        for start, end in zip(starts, ends, strict=True):
            first = int(addresses[start])
            base = next((base for base in planes
                         if base <= first and first + (end - start) <= base + span), None)
            if base is None:
                return False
            _, index, data = runs.setdefault(base, (planes[base], [], []))
            index.append(np.arange(first - base, first - base + end - start, dtype=np.int64))
            data.append(words[start:end])
        for block, index, data in runs.values():
            self._synapse_bulk(block, _joined(index), _joined(data))
        self.changed(weights_only=all(b.kind == "synapse_weight_quad" for b, _, _ in runs.values()))
        return True

    def changed(self, weights_only: bool) -> None:
        """Note a configuration change (weights only, or anything else)."""
        self.generation += 1
        if weights_only:
            self.weight_generation += 1
        else:
            self.structure_generation += 1

    # -- dispatch ---------------------------------------------------------------------------
    def _write(self, block: ob.Block, index: int, k: int, word: int) -> None:
        kind, container = block.kind, block.container
        handler = self._handlers.get(kind)
        if handler is not None:
            if handler[1] is None:
                raise OmnibusError(f"{block.name} ignores writes", block.address(index, k))
            handler[1](block, index, container.decode_word(container.default_values(), k, word))
            return
        old = self._values(block, index)
        new = container.decode_word(old, k, word)
        if kind in _SYNAPSE_VIEWS:
            self._synapse_quad(block, index, k, new)
            self.changed(weights_only=all(arr in _WEIGHT_ONLY
                                          for _, arr, _ in _SYNAPSE_VIEWS[kind][k]))
            return
        if kind in _COLUMN_SWITCHES:
            self._column_switches(block, index, new)
        elif kind == "capmem_cell":
            self.config.capmem.reshape(-1)[block.first + index] = new["value"]
        else:
            table = self.config.fields[kind]
            for name, value in new.items():
                table[name][block.first + index] = value
        hook = self._on_change.get(kind)
        if hook is not None:
            hook(block.first + index, old, new)
        if changes_network(kind, {name for name, v in new.items() if old[name] != v}):
            self.changed(weights_only=False)

    def _values(self, block: ob.Block, index: int) -> dict[str, int]:
        kind = block.kind
        handler = self._handlers.get(kind)
        if handler is not None:
            if handler[0] is None:
                return block.container.default_values()
            return handler[0](block, index)
        if kind in _SYNAPSE_VIEWS:
            return self._synapse_quad(block, index)
        if kind in _COLUMN_SWITCHES:
            return self._column_switches(block, index)
        if kind == "capmem_cell":
            return {"value": int(self.config.capmem.reshape(-1)[block.first + index])}
        entry = block.first + index
        return {name: int(arr[entry]) for name, arr in self.config.fields[kind].items()}

    # -- synapse array and column switches --------------------------------------------------
    def _synapse_quad(self, block: ob.Block, index: int, k: int | None = None,
                      values: dict | None = None) -> dict | None:
        """Read all words' fields (k None) or store word k's fields of one quad."""
        h, (row, quad) = block.unit[0], divmod(index, ob.QUADS_PER_ROW)
        words = _SYNAPSE_VIEWS[block.kind]
        out = {}
        for word, fields in enumerate(words):
            if k is not None and word != k:
                continue
            for prefix, attr, permuted in fields:
                arr = getattr(self.config, attr)
                for e, col in enumerate(QUAD_COLUMNS[quad]):
                    name = f"{prefix}_{e}"
                    if values is None:
                        v = int(arr[h, row, col])
                        out[name] = int(WEIGHT_TO_STORED[v]) if permuted else v
                    else:
                        v = values[name]
                        arr[h, row, col] = STORED_TO_WEIGHT[v] if permuted else v
        return out if values is None else None

    def _synapse_bulk(self, block: ob.Block, index: np.ndarray, words: np.ndarray) -> None:
        """Decode weight- or label-plane words in C, in order (a later word wins)."""
        container = block.container
        unused = words & np.uint32(~container.masks[0] & 0xFFFF_FFFF)
        if unused.any():
            bad = int(np.flatnonzero(unused)[0])
            raise OmnibusError(
                f"{block.name} at {block.address(int(index[bad])):#010x}: word "
                f"{int(words[bad]):#010x} sets unused bits (defined: {container.masks[0]:#010x})",
                block.address(int(index[bad])))
        ((prefix, attr, permuted),) = _SYNAPSE_VIEWS[block.kind][0]
        layout = container.words[0]
        shifts = np.array([layout.fields[f"{prefix}_{e}"][0] for e in range(4)], np.int32)
        width = layout.fields[f"{prefix}_0"][1]
        table = _TO_WEIGHT if permuted else _IDENTITY
        index = np.ascontiguousarray(index, np.int64)
        words = np.ascontiguousarray(words, np.uint32)
        lib.bss2_synapse_scatter(
            ffi.from_buffer("uint32_t[]", words), ffi.from_buffer("int64_t[]", index),
            index.size, block.unit[0], ffi.from_buffer("int32_t[]", shifts), (1 << width) - 1,
            ffi.from_buffer("uint8_t[]", table), ffi.from_buffer("int16_t[]", _QUAD_COLUMNS_I16),
            ffi.from_buffer("uint8_t[]", getattr(self.config, attr), require_writable=True))

    def _column_switches(self, block: ob.Block, quad: int, values: dict | None = None):
        h = block.unit[0]
        out = {}
        for name, attr in _COLUMN_SWITCHES[block.kind].items():
            arr = getattr(self.config, attr)
            for e, col in enumerate(QUAD_COLUMNS[quad]):
                if values is None:
                    out[f"{name}_{e}"] = int(arr[h, col])
                else:
                    arr[h, col] = values[f"{name}_{e}"]
        return out if values is None else None


