"""Numpy reference model of the FXV vector unit, written from the specification (nux fxv.tex and
the golden model vector_predictor.sv / arithmetic_pkg.sv; decisions in docs/ppu_fxv.md).

It is the executable specification the C unit (chipsim/csrc/ppu_fxv.c) is tested against bit
for bit: `execute(word, state)` returns the state after one instruction plus what happened
(an exception, a parallel-I/O request for the bus, the cycles spent). Whole vectors are handled
as numpy lane arrays; the only thing shared with the C code is the instruction table.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from bss2emu.chipsim.ppu.fxv_isa import BY_XO, Instruction, Kind, fields, is_fxv
from bss2emu.protocol.ppu_memory import EXTMEM_BASE, EXTMEM_BYTES, SRAM_BYTES

VECTOR_BYTES = 128
SLICE_BYTES = 16              # one of the 8 slices of 8 halfwords
MEMORY_ALIGN = 16             # fxvlax/fxvstax need a slice-aligned address (our decision)
#: VCR flag bits of one byte lane; predicate C (1 GT, 2 LT, 3 EQ) tests bit C - 1
VCR_GT, VCR_LT, VCR_EQ = 1, 2, 4

_SIGNED = {8: np.dtype(">i1"), 16: np.dtype(">i2"), 32: np.dtype(">i4")}
_UNSIGNED = {8: np.dtype(">u1"), 16: np.dtype(">u2"), 32: np.dtype(">u4")}


@dataclass
class FxvState:
    """Everything an FXV instruction reads or writes."""

    vr: np.ndarray       # (32, 128) uint8, byte 0 = lowest memory address
    acc: np.ndarray      # (256,) uint8: 128 big-endian 16-bit or 64 big-endian 32-bit lanes
    vcr: np.ndarray      # (128,) uint8 flags per byte lane (VCR_GT | VCR_LT | VCR_EQ)
    gpr: np.ndarray      # (32,) uint32
    sram: np.ndarray     # (16384,) uint8
    extmem: np.ndarray | None = None  # (131072,) uint8 at EXTMEM_BASE

    def copy(self) -> FxvState:
        """A deep copy (the model never changes its input)."""
        return FxvState(self.vr.copy(), self.acc.copy(), self.vcr.copy(), self.gpr.copy(),
                        self.sram.copy(), None if self.extmem is None else self.extmem.copy())


@dataclass
class BusRequest:
    """A parallel-I/O access handed to the chip (fxvinx: kind "in", fxvoutx: kind "out")."""

    kind: str
    address: int            # (RA|0) + RB
    register: int           # VRT
    mask: np.ndarray        # (128,) bool: bytes the access moves
    vector: np.ndarray | None  # fxvoutx: the bytes of VRT


@dataclass
class Outcome:
    """Result of one instruction."""

    state: FxvState
    exception: str | None = None     # "program", "alignment" or "data_storage"
    fault_address: int | None = None
    bus: BusRequest | None = None
    cycles: int = 0


# ---- fixed-point primitives --------------------------------------------------------------

def sat(x: np.ndarray, bits: int) -> np.ndarray:
    """add_sat: clamp to the signed range of `bits` bits."""
    return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def mult_sat_fract(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """2n-bit fractional product (product << 1); only (-1)*(-1) saturates to 2^(2n-1) - 1."""
    minus_one = -(1 << (n - 1))
    return np.where((a == minus_one) & (b == minus_one), (1 << (2 * n - 1)) - 1, a * b * 2)


def high(x: np.ndarray, n: int) -> np.ndarray:
    """Bits [2n-1:n] of a 2n-bit value (truncation, no rounding)."""
    return x >> n


def left_align(a: np.ndarray, n: int) -> np.ndarray:
    """An n-bit fraction as the upper half of a 2n-bit value."""
    return a * (1 << n)


# ---- per-lane semantics; '*' stands for the lane letter (h = 16 bit, b = 8 bit) -------------
# operands: a = sext(VRA lane), b = sext(VRB lane), acc = signed 2n-bit accumulator lane

Lane = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]

TO_VRT: dict[str, Lane] = {
    "fxvma*m": lambda a, b, acc, n: a * b + acc,
    "fxvma*fs": lambda a, b, acc, n: high(sat(mult_sat_fract(a, b, n) + acc, 2 * n), n),
    "fxvmul*m": lambda a, b, acc, n: a * b,
    "fxvmul*fs": lambda a, b, acc, n: high(mult_sat_fract(a, b, n), n),
    "fxvsub*m": lambda a, b, acc, n: a - b,
    "fxvsub*fs": lambda a, b, acc, n: sat(a - b, n),
    "fxvadd*m": lambda a, b, acc, n: a + b,
    "fxvadd*fs": lambda a, b, acc, n: sat(a + b, n),
    "fxvaddac*m": lambda a, b, acc, n: a + acc,
    "fxvaddac*fs": lambda a, b, acc, n: high(sat(left_align(a, n) + acc, 2 * n), n),
}

TO_ACC: dict[str, Lane] = {
    "fxvmtac*": lambda a, b, acc, n: a,
    "fxvmtac*f": lambda a, b, acc, n: left_align(a, n),
    "fxvmatac*m": lambda a, b, acc, n: a * b + acc,
    "fxvmatac*fs": lambda a, b, acc, n: sat(mult_sat_fract(a, b, n) + acc, 2 * n),
    "fxvmultac*m": lambda a, b, acc, n: a * b,
    "fxvmultac*fs": lambda a, b, acc, n: mult_sat_fract(a, b, n),
    "fxvaddactac*m": lambda a, b, acc, n: a + acc,
    "fxvaddactac*f": lambda a, b, acc, n: sat(left_align(a, n) + acc, 2 * n),
    "fxvaddtac*": lambda a, b, acc, n: a + b,
}


def _by_mnemonic(patterns: dict[str, Lane]) -> dict[str, Lane]:
    return {p.replace("*", w): f for p, f in patterns.items() for w in "hb"}


LANE_SEMANTICS: dict[str, Lane] = _by_mnemonic(TO_VRT) | _by_mnemonic(TO_ACC)


# ---- lane views ----------------------------------------------------------------------------

def signed_lanes(raw: np.ndarray, bits: int) -> np.ndarray:
    """Big-endian signed lanes of `bits` bits as int64."""
    return raw.view(_SIGNED[bits]).astype(np.int64)


def lane_bytes(values: np.ndarray, bits: int) -> np.ndarray:
    """Low `bits` bits of each value as big-endian bytes."""
    mask = (1 << bits) - 1
    return (values & mask).astype(_UNSIGNED[bits]).view(np.uint8)


def predicate(vcr: np.ndarray, c: int) -> np.ndarray:
    """Per-byte enables of the C field: 0 always, else VCR flag bit C - 1 of that byte."""
    if c == 0:
        return np.ones(VECTOR_BYTES, dtype=bool)
    return (vcr >> (c - 1)) & 1 == 1


# ---- execution -----------------------------------------------------------------------------

def _lane_op(insn: Instruction, f, s: FxvState) -> None:
    n = insn.lane_bits
    a, b = signed_lanes(s.vr[f.vra], n), signed_lanes(s.vr[f.vrb], n)
    acc = signed_lanes(s.acc, 2 * n)
    result = LANE_SEMANTICS[insn.mnemonic](a, b, acc, n)
    enable = predicate(s.vcr, f.c)
    if insn.kind is Kind.LANE_TO_ACC:
        s.acc[:] = np.where(np.repeat(enable, 2), lane_bytes(result, 2 * n), s.acc)
    else:
        s.vr[f.vrt] = np.where(enable, lane_bytes(result, n), s.vr[f.vrt])


def _compare(insn: Instruction, f, s: FxvState) -> None:
    x = signed_lanes(s.vr[f.vra], insn.lane_bits)
    flags = np.select([x > 0, x < 0], [VCR_GT, VCR_LT], VCR_EQ).astype(np.uint8)
    s.vcr[:] = np.repeat(flags, insn.lane_bits // 8)


def _splat(insn: Instruction, f, s: FxvState) -> None:
    n = insn.lane_bits
    s.vr[f.vrt] = lane_bytes(np.full(VECTOR_BYTES * 8 // n, int(s.gpr[f.vra])), n)


def _shift(insn: Instruction, f, s: FxvState) -> None:
    n = insn.lane_bits
    u = s.vr[f.vra].view(_UNSIGNED[n]).astype(np.int64)
    amount = f.shift
    shifted = u << amount if amount >= 0 else u >> -amount
    s.vr[f.vrt] = lane_bytes(shifted, n)


def _select(insn: Instruction, f, s: FxvState) -> None:
    s.vr[f.vrt] = np.where(predicate(s.vcr, f.c), s.vr[f.vrb], s.vr[f.vra])


def _pack(insn: Instruction, f, s: FxvState) -> None:
    """Per slice: bytes 0-7 = VRA's 8 halfwords, bytes 8-15 = VRB's, each reduced to an
    (8 - C)-bit field: the upper one (bits 15-C..8+C) or the next one (bits 7+C..2C)."""
    c = f.c
    start = 8 + c if insn.kind is Kind.PACK_UPPER else 2 * c
    halves = [s.vr[r].view(">u2").astype(np.int64).reshape(-1, SLICE_BYTES // 2)
              for r in (f.vra, f.vrb)]
    out = np.concatenate([(h >> start) & (0xFF >> c) for h in halves], axis=1)
    s.vr[f.vrt] = out.reshape(-1).astype(np.uint8)


def _unpack(insn: Instruction, f, s: FxvState) -> None:
    """Per slice: halfword i = VRA byte i's (8 - C)-bit field above VRB byte i's, taken from
    the slice's left (bytes 0-7) or right (bytes 8-15) half; inverse of pack."""
    c = f.c
    half = slice(0, 8) if insn.kind is Kind.UNPACK_LEFT else slice(8, 16)
    a, b = (s.vr[r].astype(np.int64).reshape(-1, SLICE_BYTES)[:, half] & (0xFF >> c)
            for r in (f.vra, f.vrb))
    s.vr[f.vrt] = lane_bytes(((a << (8 + c)) | (b << (2 * c))).reshape(-1), 16)


def _address(f, s: FxvState) -> int:
    """Effective address (RA|0) + RB, 32-bit wrap."""
    return ((int(s.gpr[f.vra]) if f.vra else 0) + int(s.gpr[f.vrb])) & 0xFFFF_FFFF


def _memory_window(s: FxvState, address: int) -> np.ndarray | None:
    """The 128 bytes at `address` in SRAM or extmem (a view), or None when not wholly inside."""
    if address + VECTOR_BYTES <= SRAM_BYTES:
        return s.sram[address:address + VECTOR_BYTES]
    offset = address - EXTMEM_BASE
    if s.extmem is not None and 0 <= offset <= EXTMEM_BYTES - VECTOR_BYTES:
        return s.extmem[offset:offset + VECTOR_BYTES]
    return None


_FAMILIES: dict[Kind, Callable[[Instruction, object, FxvState], None]] = {
    Kind.LANE_TO_VRT: _lane_op, Kind.LANE_TO_ACC: _lane_op, Kind.COMPARE: _compare,
    Kind.SPLAT: _splat, Kind.SHIFT: _shift, Kind.SELECT: _select,
    Kind.PACK_UPPER: _pack, Kind.PACK_LOWER: _pack,
    Kind.UNPACK_LEFT: _unpack, Kind.UNPACK_RIGHT: _unpack,
}


def execute(word: int, state: FxvState) -> Outcome:
    """Run one FXV instruction word on a copy of `state`."""
    if not is_fxv(word):
        raise ValueError(f"{word:#010x} is not an FXV instruction (primary opcode 4)")
    f = fields(word)
    insn = BY_XO.get(f.xo)
    if insn is None:
        return Outcome(state.copy(), exception="program")
    s = state.copy()
    if insn.kind in (Kind.LOAD, Kind.STORE):
        address = _address(f, s)
        window = None if address % MEMORY_ALIGN else _memory_window(s, address)
        if window is None:
            kind = "alignment" if address % MEMORY_ALIGN else "data_storage"
            return Outcome(state.copy(), exception=kind, fault_address=address)
        if insn.kind is Kind.LOAD:
            s.vr[f.vrt] = window
        else:
            window[:] = s.vr[f.vrt]
        return Outcome(s, cycles=insn.cycles)
    if insn.kind in (Kind.INPUT, Kind.OUTPUT):
        out = insn.kind is Kind.OUTPUT
        bus = BusRequest("out" if out else "in", _address(f, s), f.vrt, predicate(s.vcr, f.c),
                         s.vr[f.vrt].copy() if out else None)
        return Outcome(s, bus=bus, cycles=insn.cycles)
    _FAMILIES[insn.kind](insn, f, s)
    return Outcome(s, cycles=insn.cycles)


def complete_input(state: FxvState, bus: BusRequest, data: np.ndarray) -> FxvState:
    """Finish an fxvinx: the bytes the chip returned replace VRT where the mask is set."""
    if bus.kind != "in":
        raise ValueError("only an input (fxvinx) request completes with data")
    s = state.copy()
    s.vr[bus.register] = np.where(bus.mask, np.asarray(data, dtype=np.uint8), s.vr[bus.register])
    return s
