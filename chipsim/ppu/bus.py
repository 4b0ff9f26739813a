"""What a PPU reaches outside its core: the chip's omnibus (scalar loads/stores with address
bit 31 set) and the parallel (vector) I/O of its hemisphere's synapse array -- weights, labels,
calibration bits, CADC conversions, correlation resets, column random generators, neuron
resets -- plus the FPGA memory. Vector addresses index half rows: 2*row + 0 even columns,
2*row + 1 odd columns; byte i of the vector is column 2*i + half."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.layouts.synram import SYNAPSE_QUAD

from ..errors import OmnibusError
from .core import BusKind
from .unit import PpuUnit

if TYPE_CHECKING:
    from ..chip import Chip

HALF_ROWS = 2 * ob.SYNAPSE_ROWS
VECTOR_BYTES = 128
EXTMEM_VECTOR_BASE = 0x8000_0000  # vector address = extmem byte address >> 4
CADC_BUFFERED = 0x20_0000


class BusError(Exception):
    """The access has no target; the core takes a data storage exception."""


@dataclass(frozen=True)
class Region:
    """A vector I/O region: `count` consecutive vector addresses from `base`."""

    name: str
    base: int
    count: int
    read: Callable[[Chip, int, int], np.ndarray] | None
    write: Callable[[Chip, int, int, np.ndarray, np.ndarray], None] | None


def _columns(half: int) -> np.ndarray:
    return 2 * np.arange(VECTOR_BYTES) + half


def _plane(attr: str, bits: int, weights: bool):
    """Reader and writer of a per-synapse config plane, one half row per vector address."""
    limit = (1 << bits) - 1

    def read(chip: Chip, h: int, index: int) -> np.ndarray:
        row, half = divmod(index, 2)
        return getattr(chip.config, attr)[h, row, _columns(half)].astype(np.uint8)

    def write(chip: Chip, h: int, index: int, data: np.ndarray, mask: np.ndarray) -> None:
        row, half = divmod(index, 2)
        cols = _columns(half)[mask]
        getattr(chip.config, attr)[h, row, cols] = data[mask] & limit
        chip.ppu_configured(weights_only=weights)

    return read, write


def _cadc(which: int, buffered: bool):
    def read(chip: Chip, h: int, index: int) -> np.ndarray:
        row, half = divmod(index, 2)
        cols = _columns(half)
        if buffered:
            return chip.cadc.buffer[which, h, row, cols].copy()
        switch = chip.config.cadc_neuron_causal if which == 0 else chip.config.cadc_neuron_acausal
        return chip.cadc.convert(which, h, row, cols, chip.correlation.accumulator[which, h, row,
                                                                                  cols],
                                 chip.state.v[h * ob.COLUMNS + cols], switch[h, cols])
    return read


def _correlation_reset(which: int):
    def write(chip: Chip, h: int, index: int, data: np.ndarray, mask: np.ndarray) -> None:
        row, half = divmod(index, 2)
        chip.correlation.reset(which, h, row, _columns(half)[mask])
    return write


def _rng_read(chip: Chip, h: int, index: int) -> np.ndarray:
    return chip.parallel_rng.read(h, _columns(index))


def _neuron_reset(chip: Chip, h: int, index: int, data: np.ndarray, mask: np.ndarray) -> None:
    for col in _columns(index)[mask].tolist():
        chip.reset_neuron(h * ob.COLUMNS + col)


#: (shift, width) of weight and time calibration in one byte lane of the combined synapse view
_LANE = SYNAPSE_QUAD.words[0].fields
_RAW_WEIGHT, _RAW_CALIB = _LANE["weight_3"], _LANE["time_calib_3"]


def _raw_read(chip: Chip, h: int, index: int) -> np.ndarray:
    """The stored weight byte as in the combined view: time calibration and weight."""
    row, half = divmod(index, 2)
    cols = _columns(half)
    return ((chip.config.time_calib[h, row, cols] << _RAW_CALIB[0])
            | (chip.config.weight[h, row, cols] << _RAW_WEIGHT[0])).astype(np.uint8)


def _raw_write(chip: Chip, h: int, index: int, data: np.ndarray, mask: np.ndarray) -> None:
    row, half = divmod(index, 2)
    cols = _columns(half)[mask]
    for attr, (shift, width) in (("weight", _RAW_WEIGHT), ("time_calib", _RAW_CALIB)):
        getattr(chip.config, attr)[h, row, cols] = (data[mask] >> shift) & ((1 << width) - 1)
    chip.ppu_configured(weights_only=False)


_RAW = (_raw_read, _raw_write)
_WEIGHT = _plane("weight", 6, True)
_LABEL = _plane("label", 6, False)
_TIME_CALIB = _plane("time_calib", 2, False)
_AMP_CALIB = _plane("amp_calib", 2, False)

REGIONS: tuple[Region, ...] = (
    Region("weights", 0x0000_0000, HALF_ROWS, *_WEIGHT),
    Region("time_calib", 0x0001_0000, HALF_ROWS, *_TIME_CALIB),
    Region("amp_calib", 0x0002_0000, HALF_ROWS, *_AMP_CALIB),
    Region("labels", 0x0004_0000, HALF_ROWS, *_LABEL),
    Region("cadc_causal", 0x0008_0000, HALF_ROWS, _cadc(0, False), None),
    Region("correlation_reset_causal", 0x0009_0000, HALF_ROWS, None, _correlation_reset(0)),
    Region("cadc_acausal", 0x000C_0000, HALF_ROWS, _cadc(1, False), None),
    Region("correlation_reset_acausal", 0x000D_0000, HALF_ROWS, None, _correlation_reset(1)),
    Region("rng", 0x000E_0000, 2, _rng_read, None),
    Region("cadc_causal_buffered", 0x0008_0000 | CADC_BUFFERED, HALF_ROWS, _cadc(0, True), None),
    Region("cadc_acausal_buffered", 0x000C_0000 | CADC_BUFFERED, HALF_ROWS, _cadc(1, True),
           None),
    Region("synram_raw", 0x000F_0000, HALF_ROWS, *_RAW),
    Region("neuron_reset", 0x00C9_0200, 2, None, _neuron_reset),
)
"""The parallel I/O address map of a PPU (its own hemisphere's synapse array)."""


def find_region(address: int) -> tuple[Region, int]:
    """(region, index) of a vector I/O address; BusError if nothing is there."""
    for region in REGIONS:
        if region.base <= address < region.base + region.count:
            return region, address - region.base
    raise BusError(f"no vector I/O target at {address:#010x}")


TIMELESS_READS = frozenset({"weights", "time_calib", "amp_calib", "labels", "synram_raw",
                            "rng", "cadc_causal_buffered", "cadc_acausal_buffered"})
"""Vector reads whose result does not depend on the network's state at the access time."""


def needs_network(unit: PpuUnit) -> bool:
    """True unless the pending access can be served without first bringing the network up to
    its tick: reads of configuration planes and generators, FPGA memory outside the watched
    event ring header. Scalar omnibus accesses, watched extmem accesses (SYNC) and every
    vector write always synchronise."""
    access = unit.pending
    if access.kind in (BusKind.LOAD, BusKind.STORE, BusKind.SYNC):
        return True
    if access.address >= EXTMEM_VECTOR_BASE:
        return unit.core.watches((access.address - EXTMEM_VECTOR_BASE) << 4, VECTOR_BYTES)
    if access.kind == BusKind.VOUT:
        return True
    try:
        region, _ = find_region(access.address)
    except BusError:
        return False  # fails the same way at any time
    return region.name not in TIMELESS_READS


def _extmem_slice(chip: Chip, address: int) -> slice:
    start = (address - EXTMEM_VECTOR_BASE) << 4
    if not 0 <= start <= chip.extmem.size - VECTOR_BYTES:
        raise BusError(f"vector address {address:#010x} is outside the FPGA memory")
    return slice(start, start + VECTOR_BYTES)


def serve(chip: Chip, unit: PpuUnit) -> None:
    """Carry out the pending access of `unit` on the chip (already run up to its tick) and
    let the core finish the instruction; BusError if the access has no target."""
    h = unit.hemisphere
    access = unit.pending
    if access.kind == BusKind.SYNC:  # the chip is at the access's tick: let the core do it
        unit.complete()
        return
    if access.kind == BusKind.LOAD:
        try:
            value = chip.read(access.address)
        except OmnibusError as err:
            raise BusError(str(err)) from None
        unit.complete(value)
        return
    if access.kind == BusKind.STORE:
        try:
            chip.write(access.address, access.data, from_ppu=True)
        except OmnibusError as err:
            raise BusError(str(err)) from None
        if unit.pending is not None:  # else the store put this PPU itself into reset
            unit.complete()
        return
    vector, mask = unit.vector(), unit.mask()
    if access.address >= EXTMEM_VECTOR_BASE:
        where = _extmem_slice(chip, access.address)
        if access.kind == BusKind.VIN:
            unit.complete(vector=chip.extmem[where])
        else:
            chip.extmem[where][mask] = vector[mask]
            unit.complete()
        return
    region, index = find_region(access.address)
    if access.kind == BusKind.VIN:
        if region.read is None:
            raise BusError(f"{region.name} at {access.address:#010x} is write-only")
        unit.complete(vector=region.read(chip, h, index))
        return
    if region.write is None:
        raise BusError(f"{region.name} at {access.address:#010x} is read-only")
    region.write(chip, h, index, vector.copy(), mask.copy())
    unit.complete()
