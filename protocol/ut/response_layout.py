"""What the response decoders produce: which from-FPGA messages become records, which carry
events, and the numpy dtypes of both (derived from the dictionary's fields). Shared by the
vectorised decoder (`responses`) and its scalar twin for short batches (`responses_scalar`),
so both produce arrays of one layout.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from .dictionary import spec
from .enums import MADC_PACKS_FROM_FPGA, SPIKE_PACKS_FROM_FPGA, FromFPGA

#: one record per message
RECORDS: dict[str, FromFPGA] = {
    "jtag": FromFPGA.JTAG_DATA,
    "omnibus": FromFPGA.OMNIBUS_DATA,
    "loopback": FromFPGA.LOOPBACK,
    "highspeed_link": FromFPGA.HIGHSPEED_LINK_NOTIFICATION,
    "timeout": FromFPGA.TIMEOUT_NOTIFICATION,
}
#: one record per event carried in a pack
EVENTS: dict[str, tuple[FromFPGA, ...]] = {
    "spikes": SPIKE_PACKS_FROM_FPGA,
    "madc": MADC_PACKS_FROM_FPGA,
}
#: messages that carry time
TIME_MESSAGES = (FromFPGA.SYSTIME, FromFPGA.SYSDELTA)


@cache
def time_value_fields() -> dict[FromFPGA, tuple[int, int]]:
    """Time message -> (shift, mask) of its `value` field (the time it carries), from the
    dictionary's declarations: the one plan of both decoders' clocks."""
    out = {}
    for instruction in TIME_MESSAGES:
        at, width = spec(instruction).fields["value"]
        out[instruction] = (at, (1 << width) - 1)
    return out


def _uint(width: int) -> str:
    """Smallest little-endian unsigned dtype holding `width` bits."""
    return next(f"<u{n}" for n in (1, 2, 4, 8) if width <= 8 * n)


@cache
def record_dtype(instruction: FromFPGA) -> np.dtype:
    """fpga_time plus every payload field of the instruction."""
    return np.dtype([("fpga_time", "<i8")] + [
        (name, _uint(width)) for name, (_, width) in spec(instruction).fields.items()])


@cache
def event_dtype(packs: tuple[FromFPGA, ...]) -> np.dtype:
    """chip_time, fpga_time and the per-event fields (slot suffix dropped)."""
    one = spec(packs[0]).fields
    return np.dtype([("chip_time", "<i8"), ("fpga_time", "<i8")] + [
        (name.rsplit("_", 1)[0], _uint(width)) for name, (_, width) in one.items()])


@cache
def output_dtypes() -> dict[str, np.dtype]:
    """Output name (a `Responses` field) -> dtype of its array."""
    return {**{name: record_dtype(i) for name, i in RECORDS.items()},
            **{name: event_dtype(packs) for name, packs in EVENTS.items()}}


@cache
def empty_arrays() -> dict[str, np.ndarray]:
    """Output name -> a shared empty array (most batches carry few kinds of message; an
    empty array holds nothing that a caller could change)."""
    return {name: np.zeros(0, dtype) for name, dtype in output_dtypes().items()}
