"""Event array formats (numpy structured dtypes), their validation, and a run's output records
in numpy (the Python form of the C writer, csrc/output_records.c)."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol.clocks import fpga_ticks

from .errors import EventError

INPUT_EVENT_DTYPE = np.dtype([("time", "<i8"), ("label", "<u2")])
"""Events from the FPGA: time in FPGA ticks (8 ns) from the start of the run, 16-bit label."""

OUTPUT_EVENT_DTYPE = np.dtype([("time", "<i8"), ("chip_time", "<i8"), ("label", "<u2")])
"""Events to the FPGA: time in FPGA ticks and in chip ticks (4 ns), 16-bit label."""

SPIKE_DTYPE = np.dtype([("chip_time", "<i8"), ("neuron", "<i2")])
"""Every neuron spike of a run: chip tick and neuron (hemisphere * 256 + column)."""


def input_events(times, labels) -> np.ndarray:
    """Build an INPUT_EVENT_DTYPE array from time and label sequences (validated)."""
    times = np.asarray(times)
    labels = np.asarray(labels)
    if times.shape != labels.shape or times.ndim != 1:
        raise EventError(f"times {times.shape} and labels {labels.shape} must be 1-d and equal")
    _check_integral("time", times)
    _check_integral("label", labels)
    if labels.size and (labels.min() < 0 or labels.max() > 0xFFFF):
        bad = int(np.flatnonzero((labels < 0) | (labels > 0xFFFF))[0])
        raise EventError(f"event {bad}: label {int(labels[bad])} does not fit 16 bits")
    out = np.empty(times.size, INPUT_EVENT_DTYPE)
    out["time"] = times
    out["label"] = labels
    return out


def _check_integral(name: str, values: np.ndarray) -> None:
    if values.size and not np.issubdtype(values.dtype, np.integer):
        if not np.issubdtype(values.dtype, np.floating) or not np.all(np.isfinite(values)) or \
                np.any(values != np.round(values)):
            raise EventError(f"event {name}s must be whole numbers (got dtype {values.dtype})")


def validate_input(events, duration: int) -> np.ndarray:
    """Check an input event array against a run of `duration` FPGA ticks; returns it typed."""
    if events is None:
        return np.zeros(0, INPUT_EVENT_DTYPE)
    events = np.asarray(events)
    if events.dtype.names is None or not {"time", "label"} <= set(events.dtype.names):
        raise EventError("input events must be a structured array with fields 'time' and "
                         "'label' (see chipsim.INPUT_EVENT_DTYPE / chipsim.input_events)")
    # an array of the input dtype holds whole times and 16-bit labels already
    ev = events if events.dtype == INPUT_EVENT_DTYPE and events.ndim == 1 else \
        input_events(events["time"], events["label"])
    t = ev["time"]
    if t.size:
        if t.min() < 0:
            bad = int(np.flatnonzero(t < 0)[0])
            raise EventError(f"event {bad}: negative time {int(t[bad])}")
        if t.size > 1 and bool((t[1:] < t[:-1]).any()):
            bad = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
            raise EventError(f"event {bad}: time {int(t[bad])} is before the previous event's "
                             f"{int(t[bad - 1])} (events must be sorted)")
        if t.max() >= duration:
            bad = int(np.flatnonzero(t >= duration)[0])
            raise EventError(f"event {bad}: time {int(t[bad])} is not inside the run of "
                             f"{duration} FPGA ticks")
    return ev


def output_records_reference(ticks: np.ndarray, neurons: np.ndarray, in_tick: np.ndarray,
                             in_source: np.ndarray, source_l2: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """What `engine.output_records` builds, in numpy: the spikes (SPIKE_DTYPE) and the events
    to the FPGA (OUTPUT_EVENT_DTYPE): the spikes and the arrivals whose source has an L2 label
    (`source_l2[source]` >= 0), by time, spikes first among equal times (a stable sort of the
    spikes followed by the arrivals)."""
    spikes = np.empty(len(ticks), SPIKE_DTYPE)
    spikes["chip_time"], spikes["neuron"] = ticks, neurons
    t = np.concatenate([np.asarray(ticks, np.int64), np.asarray(in_tick, np.int64)])
    label = np.asarray(source_l2)[np.concatenate([neurons, in_source]).astype(np.int64)]
    order = np.argsort(t, kind="stable")
    t, label = t[order], label[order]
    sent = label >= 0
    events = np.empty(int(sent.sum()), OUTPUT_EVENT_DTYPE)
    events["chip_time"] = t[sent]
    events["time"] = fpga_ticks(t[sent])
    events["label"] = label[sent]
    return spikes, events
