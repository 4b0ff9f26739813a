"""Thin typed wrapper around the C engines: marshals numpy arrays into the cffi structs and
turns status codes into exceptions."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from bss2emu.protocol.clocks import FPGA_TICK_SHIFT

from ._core import ffi, lib
from .engine_types import NetworkTables, NeuronState
from .errors import EngineError
from .events import OUTPUT_EVENT_DTYPE, SPIKE_DTYPE

_STATUS = {
    lib.BSS2_ERR_UNSORTED: "event times must be sorted and lie within [0, duration)",
    lib.BSS2_ERR_SOURCE: "event refers to an unknown source",
    lib.BSS2_ERR_PARAMETER: "invalid engine parameter (substeps or trace interval)",
    lib.BSS2_ERR_MEMORY: "out of memory in the C engine",
}

#: the network's arrays: name -> (numpy dtype, C pointer type)
_ARRAYS = {
    **dict.fromkeys(("e_leak", "v_reset", "v_threshold", "tau_mem", "tau_syn_exc",
                     "tau_syn_inh", "delta_t", "v_exp", "adapt_a", "adapt_b", "tau_adapt",
                     "fan_amp"), (np.float64, "double *")),
    **dict.fromkeys(("hold_ticks", "refractory_ticks", "fan_ptr", "fan_neuron"),
                    (np.int32, "int32_t *")),
    **dict.fromkeys(("fire_enable", "adex_enable", "exp_enable", "fan_channel"),
                    (np.uint8, "uint8_t *")),
}
#: the fan-out arrays (what `CNetwork.retarget` replaces) and the neuron parameters
_FANOUT = ("fan_ptr", "fan_neuron", "fan_channel", "fan_amp")
_PARAMETERS = tuple(name for name in _ARRAYS if name not in _FANOUT)
_SCALARS = ("latency_ticks", "threshold_noise", "jitter", "noise_seed")
_STATE = {"v": np.float64, "je": np.float64, "ji": np.float64, "w": np.float64,
          "mode": np.int32, "fire_time": np.float64, "hold_end": np.int64,
          "refractory_end": np.int64, "spike_index": np.uint32}


def _record_offsets() -> dict[str, int]:
    """The C view of the spike and event record dtypes: sizes and field offsets by
    `bss2_record_layout` member (the field types checked here, once)."""
    want = {("chip_time", "<i8"), ("neuron", "<i2"), ("time", "<i8"), ("label", "<u2")}
    offsets = {"spike_size": SPIKE_DTYPE.itemsize, "event_size": OUTPUT_EVENT_DTYPE.itemsize}
    for prefix, dtype in (("spike_", SPIKE_DTYPE), ("event_", OUTPUT_EVENT_DTYPE)):
        for name in dtype.names:
            if (name, dtype.fields[name][0].str) not in want:
                raise ImportError(f"the C record writer does not know field {name} of {dtype}")
            offsets[prefix + name] = dtype.fields[name][1]
    return offsets


_RECORD_OFFSETS = _record_offsets()


def _ensure(status: int) -> None:
    if status != lib.BSS2_OK:
        raise EngineError(_STATUS.get(status, f"C engine failed with status {status}"))


def _ptr(ctype: str, array: np.ndarray):
    return ffi.cast(ctype, ffi.from_buffer(array)) if array.size else ffi.NULL


class CNetwork:
    """A `bss2_network` struct built from NetworkTables; owns the contiguous arrays it points to."""

    def __init__(self, tables: NetworkTables) -> None:
        self.tables = tables
        self._keep: dict[str, np.ndarray] = {}
        self.struct = ffi.new("bss2_network *")
        self._point(tables, _ARRAYS)
        s = self.struct
        s.n_neurons = tables.n_neurons
        s.n_sources = tables.n_sources
        s.latency_ticks = int(tables.latency_ticks)
        s.threshold_noise = float(tables.threshold_noise)
        s.jitter = float(tables.jitter)
        s.noise_seed = int(tables.noise_seed) & 0xFFFFFFFFFFFFFFFF

    def retarget(self, tables: NetworkTables) -> bool:
        """Point the struct at the fan-out arrays of `tables` if everything else is that of
        the current tables (the very same neuron parameter arrays, equal scalars): the cheap
        update between runs whose synapse weights changed. False, with nothing changed, if
        anything else differs (build a new CNetwork then)."""
        old = self.tables
        for name in _PARAMETERS:
            if getattr(tables, name) is not getattr(old, name):
                return False
        if any(getattr(tables, name) != getattr(old, name) for name in _SCALARS):
            return False
        self._point(tables, _FANOUT)
        self.struct.n_sources = tables.n_sources
        self.tables = tables
        return True

    def _point(self, tables: NetworkTables, names: Iterable[str]) -> None:
        """Point the struct's arrays `names` at those of `tables` (copied where their dtype or
        layout is not the C one), kept alive here."""
        s = self.struct
        for name in names:
            dtype, ctype = _ARRAYS[name]
            arr = np.ascontiguousarray(getattr(tables, name), dtype=dtype)
            self._keep[name] = arr
            setattr(s, name, _ptr(ctype, arr))


class _CState:
    """A `bss2_state` view of a NeuronState (arrays are converted in place to the C dtypes)."""

    def __init__(self, state: NeuronState) -> None:
        self.struct = ffi.new("bss2_state *")
        self.arrays = []
        for name, dtype in _STATE.items():
            arr = np.ascontiguousarray(getattr(state, name), dtype=dtype)
            setattr(state, name, arr)
            self.arrays.append(arr)
            setattr(self.struct, name, ffi.cast(ffi.typeof(getattr(self.struct, name)),
                                                ffi.from_buffer(arr)))

    @classmethod
    def of(cls, state: NeuronState) -> _CState:
        """The view of `state`, reused while its arrays are the same objects (runs split into
        many short segments call the engines thousands of times with one state). A view keeps
        its arrays alive, so an array identity check cannot be fooled by a reused id."""
        view = _VIEWS.get(id(state))
        if view is None or any(getattr(state, name) is not arr
                               for name, arr in zip(_STATE, view.arrays, strict=True)):
            view = cls(state)
            _VIEWS[id(state)] = view
            while len(_VIEWS) > _MAX_VIEWS:
                _VIEWS.pop(next(iter(_VIEWS)))
        return view


_VIEWS: dict[int, _CState] = {}  # id(NeuronState) -> view, the most recent last
_MAX_VIEWS = 8


def _collect(status: int, spikes) -> tuple[np.ndarray, np.ndarray]:
    """The engine's spike buffers as numpy arrays, without a copy: each array keeps its buffer,
    released with it (ffi.buffer keeps the garbage-collected pointer alive)."""
    try:
        _ensure(status)
        n = spikes.n
        if not n:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        tick, neuron = spikes.tick, spikes.neuron
        spikes.tick = spikes.neuron = ffi.NULL  # taken over below
        ticks = np.frombuffer(ffi.buffer(ffi.gc(tick, lib.bss2_free), 8 * n), np.int64)
        neurons = np.frombuffer(ffi.buffer(ffi.gc(neuron, lib.bss2_free), 4 * n), np.int32)
        return ticks, neurons
    finally:
        lib.bss2_spikes_free(spikes)


def _taken(pointer, n: int, dtype: np.dtype) -> np.ndarray:
    """n records of `dtype` in a C buffer, owned by the array (released with it)."""
    return np.frombuffer(ffi.buffer(ffi.gc(pointer, lib.bss2_free), n * dtype.itemsize or 1),
                         dtype, count=n)


def output_records(ticks: np.ndarray, neurons: np.ndarray, in_tick: np.ndarray,
                   in_source: np.ndarray, source_l2: np.ndarray,
                   spike_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A run's spikes (SPIKE_DTYPE, from spike ticks and neurons in time order) and its events
    to the FPGA (OUTPUT_EVENT_DTYPE): the spikes and the arrivals (in_tick, in_source, in time
    order) whose source has an L2 label (`source_l2[source]` >= 0), by time, spikes first
    among equal times. Written by C in one pass into buffers the arrays own (its numpy form:
    `events.output_records_reference`); each spike also counts in `spike_count[neuron]`
    (int64, updated in place)."""
    if spike_count.dtype != np.int64 or not spike_count.flags.c_contiguous:
        raise EngineError("spike_count must be a contiguous int64 array")
    ticks = np.ascontiguousarray(ticks, np.int64)
    neurons = np.ascontiguousarray(neurons, np.int32)
    in_tick = np.ascontiguousarray(in_tick, np.int64)
    in_source = np.ascontiguousarray(in_source, np.int32)
    source_l2 = np.ascontiguousarray(source_l2, np.int64)
    out = ffi.new("bss2_records *")
    layout = ffi.new("bss2_record_layout *", _RECORD_OFFSETS)
    _ensure(lib.bss2_output_records(
        _ptr("int64_t *", ticks), _ptr("int32_t *", neurons), ticks.size,
        _ptr("int64_t *", in_tick), _ptr("int32_t *", in_source), in_tick.size,
        _ptr("int64_t *", source_l2), FPGA_TICK_SHIFT, layout, out,
        _ptr("int64_t *", spike_count), spike_count.size))
    return (_taken(out.spikes, ticks.size, SPIKE_DTYPE),
            _taken(out.events, out.n_events, OUTPUT_EVENT_DTYPE))


class _Trace:
    """A `bss2_trace` over a numpy buffer of membrane samples for `neurons` every `interval`
    chip ticks over t_end ticks (one spare row: the engines stop at capacity)."""

    def __init__(self, neurons: np.ndarray, interval: float, t_end: int) -> None:
        self.neurons = np.ascontiguousarray(neurons, np.int32)
        rows = int(np.floor((t_end - 1e-9) / interval)) + 2 if self.neurons.size else 0
        self.samples = np.zeros((rows, self.neurons.size), np.float64)
        self.struct = ffi.new("bss2_trace *")
        self.struct.neuron = _ptr("int32_t *", self.neurons)
        self.struct.n_neurons = self.neurons.size
        self.struct.interval = float(interval)
        self.struct.samples = _ptr("double *", self.samples)
        self.struct.capacity = rows

    def taken(self) -> np.ndarray:
        """The samples the engine took, [sample, neuron]."""
        return self.samples[:self.struct.n]


def event_run(net: CNetwork, state: NeuronState, in_tick: np.ndarray, in_source: np.ndarray,
              t_end: int, trace_neurons: np.ndarray | None = None,
              trace_interval: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Run the exact event-driven engine for t_end chip ticks; returns (spike ticks, neurons,
    membrane samples[sample, neuron] of `trace_neurons` every `trace_interval` ticks or None)."""
    in_tick = np.ascontiguousarray(in_tick, np.int64)
    in_source = np.ascontiguousarray(in_source, np.int32)
    trace = _Trace(trace_neurons, trace_interval, t_end) if trace_neurons is not None and \
        len(trace_neurons) else None
    spikes = ffi.new("bss2_spikes *")
    status = lib.bss2_event_run(net.struct, _CState.of(state).struct, _ptr("int64_t *", in_tick),
                                _ptr("int32_t *", in_source), in_tick.size, int(t_end),
                                trace.struct if trace else ffi.NULL, spikes)
    ticks, neurons = _collect(status, spikes)
    return ticks, neurons, trace.taken() if trace else None


def stepped_run(net: CNetwork, state: NeuronState, in_tick: np.ndarray, in_source: np.ndarray,
                t_end: int, substeps: int, active: np.ndarray, trace_neurons: np.ndarray,
                trace_interval: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the time-stepped engine; returns (spike ticks, neurons, traces[sample, neuron])."""
    in_tick = np.ascontiguousarray(in_tick, np.int64)
    in_source = np.ascontiguousarray(in_source, np.int32)
    active = np.ascontiguousarray(active, np.int32)
    trace = _Trace(trace_neurons, trace_interval, t_end)
    spikes = ffi.new("bss2_spikes *")
    status = lib.bss2_stepped_run(
        net.struct, _CState.of(state).struct, _ptr("int64_t *", in_tick),
        _ptr("int32_t *", in_source), in_tick.size, int(t_end), int(substeps),
        _ptr("int32_t *", active), active.size, trace.struct, spikes)
    ticks, neurons = _collect(status, spikes)
    return ticks, neurons, trace.taken()
