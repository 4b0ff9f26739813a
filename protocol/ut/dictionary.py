"""The two UT dictionaries, declared once with `construct` (bss2-facts §5.3).

Each row: instruction (its enum value is the header), payload width in bits, and the payload
fields as bit-level `construct` subcons, most significant first.  Everything else — the full
message struct (comma, header, zero fill, right-aligned payload), the message width, the
(shift, width) of every field used by the numpy bulk paths — is derived from these rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from math import ceil

import construct as cs

from .constants import (
    COMMA_BITS,
    EVENT_TIMESTAMP_BITS,
    FROM_FPGA_SUBWORD_BITS,
    HEADER_BITS,
    LABEL_BITS,
    MADC_SAMPLE_FIELD_BITS,
    MADC_VALUE_BITS,
    MIN_MESSAGE_BITS,
    TO_FPGA_SUBWORD_BITS,
)
from .enums import Direction, FromFPGA, ToFPGA

Fields = tuple[cs.Construct, ...]


def _bits(name: str, width: int) -> cs.Construct:
    """An unsigned field of `width` bits."""
    return name / cs.BitsInteger(width)


def _value(width: int) -> Fields:
    """A payload that is one unsigned number named `value`."""
    return (_bits("value", width),)


def _pack(count: int, one: Fields) -> Fields:
    """`count` copies of the fields of `one`, the first copy most significant, names `_i`."""
    out: list[cs.Construct] = []
    for i in range(count):
        for sub in one:
            out.append(sub if sub.name is None else f"{sub.name}_{i}" / sub.subcon)
    return tuple(out)


#: JTAG data: keep_response, num_bits (3..33) and 33 data bits, each padded to whole bytes
JTAG_DATA_TO_FPGA: Fields = (
    cs.Padding(7), "keep_response" / cs.Flag,
    cs.Padding(2), _bits("num_bits", 6),
    cs.Padding(7), _bits("payload", 33),
)
#: barrier: one flag per channel that must be idle, bit 4 down to bit 0
BARRIER: Fields = (
    "systime_correction" / cs.Flag, "multi_fpga" / cs.Flag, "systime" / cs.Flag,
    "jtag" / cs.Flag, "omnibus" / cs.Flag,
)
#: omnibus address: bit 36 is_read, bits 35-32 byte enables, bits 31-0 word address
OMNIBUS_ADDRESS: Fields = (
    "is_read" / cs.Flag, _bits("byte_enables", 4), _bits("address", 32),
)
#: high-speed link notification, bits 7-5 phy, then one flag per condition (haldls event.cpp)
HIGHSPEED_LINK_NOTIFICATION: Fields = (
    _bits("phy", 3), "link_up" / cs.Flag, "decode_error" / cs.Flag, "crc_error" / cs.Flag,
    "crc_recover" / cs.Flag, "check_error" / cs.Flag,
)
#: timeout: bits 44-39 omnibus reads in flight, 38-32 trace stall count, 31-0 value
TIMEOUT_NOTIFICATION: Fields = (
    _bits("omnibus_reads_in_flight", 6), _bits("trace_stall_count", 7), _bits("value", 32),
)
#: one spike label sent to the chip
SPIKE_TO_FPGA: Fields = (_bits("label", LABEL_BITS),)
#: one spike from the chip: 8-bit chip timestamp, 16-bit label
SPIKE_FROM_FPGA: Fields = (
    _bits("timestamp", EVENT_TIMESTAMP_BITS), _bits("label", LABEL_BITS),
)
#: one MADC sample: 8-bit timestamp, 16-bit field with the channel in bit 10, value in 9-0
MADC_SAMPLE: Fields = (
    _bits("timestamp", EVENT_TIMESTAMP_BITS),
    cs.Padding(MADC_SAMPLE_FIELD_BITS - MADC_VALUE_BITS - 1),
    "channel" / cs.Flag,
    _bits("value", MADC_VALUE_BITS),
)


@dataclass(frozen=True)
class InstructionSpec:
    """One dictionary row plus everything derived from it."""

    direction: Direction
    instruction: ToFPGA | FromFPGA
    payload_width: int
    payload: Fields = field(repr=False)

    def __post_init__(self) -> None:
        declared = sum(sub.sizeof() for sub in self.payload)
        if declared != self.payload_width:
            raise ValueError(
                f"{self.name}: fields have {declared} bits, table says {self.payload_width}")

    @property
    def name(self) -> str:
        """Instruction name, e.g. `OMNIBUS_ADDRESS`."""
        return self.instruction.name

    @property
    def header(self) -> int:
        """The header value: the instruction's index in its dictionary."""
        return int(self.instruction)

    @property
    def word_width(self) -> int:
        """Message width in bits: comma+header+payload rounded up to the subword, min 64."""
        subword = SUBWORD_BITS[self.direction]
        width = ceil((HEADER_BITS + self.payload_width) / subword) * subword
        return max(width, MIN_MESSAGE_BITS)

    @cached_property
    def struct(self) -> cs.Construct:
        """The whole message as a BitStruct: comma, header, zero fill, payload right-aligned."""
        fill = self.word_width - HEADER_BITS - self.payload_width
        return cs.BitStruct(
            "comma" / cs.Const(0, cs.BitsInteger(COMMA_BITS)),
            "header" / cs.Const(self.header, cs.BitsInteger(HEADER_BITS - COMMA_BITS)),
            *((cs.Padding(fill),) if fill else ()),
            *self.payload,
        )

    @cached_property
    def fields(self) -> dict[str, tuple[int, int]]:
        """Payload field name -> (shift from the message's LSB, width), MSB first."""
        out: dict[str, tuple[int, int]] = {}
        shift = self.payload_width
        for sub in self.payload:
            width = sub.sizeof()
            shift -= width
            if sub.name is not None:
                out[sub.name] = (shift, width)
        return out


SUBWORD_BITS = {
    Direction.TO_FPGA: TO_FPGA_SUBWORD_BITS,
    Direction.FROM_FPGA: FROM_FPGA_SUBWORD_BITS,
}


def _table(direction: Direction, rows: list[tuple[ToFPGA | FromFPGA, int, Fields]]
           ) -> tuple[InstructionSpec, ...]:
    """Build a dictionary and check that its rows are exactly the enum, in index order."""
    specs = tuple(InstructionSpec(direction, instr, width, fields) for instr, width, fields in rows)
    if [s.header for s in specs] != list(range(len(specs))):
        raise ValueError(f"{direction.name} dictionary rows are not in index order")
    return specs


#: host -> FPGA dictionary: (instruction, payload bits, fields)
TO_FPGA: tuple[InstructionSpec, ...] = _table(Direction.TO_FPGA, [
    (ToFPGA.JTAG_INIT, 0, ()),
    (ToFPGA.JTAG_SCALER, 8, _value(8)),
    (ToFPGA.JTAG_INS, 7, _value(7)),
    (ToFPGA.JTAG_DATA, 56, JTAG_DATA_TO_FPGA),
    (ToFPGA.TIMER_SETUP, 0, ()),
    (ToFPGA.WAIT_UNTIL, 32, _value(32)),
    (ToFPGA.SYSTIME_INIT, 1, _value(1)),
    (ToFPGA.BARRIER, 5, BARRIER),
    (ToFPGA.POLLING_OMNIBUS_BLOCK, 1, _value(1)),
    (ToFPGA.SYSTEM_RESET, 1, _value(1)),
    (ToFPGA.LOOPBACK, 1, _value(1)),
    (ToFPGA.OMNIBUS_ADDRESS, 37, OMNIBUS_ADDRESS),
    (ToFPGA.OMNIBUS_DATA, 32, _value(32)),
    (ToFPGA.SPIKE_PACK_1, 16, _pack(1, SPIKE_TO_FPGA)),
    (ToFPGA.SPIKE_PACK_2, 32, _pack(2, SPIKE_TO_FPGA)),
    (ToFPGA.SPIKE_PACK_3, 48, _pack(3, SPIKE_TO_FPGA)),
])

#: FPGA -> host dictionary: (instruction, payload bits, fields)
FROM_FPGA: tuple[InstructionSpec, ...] = _table(Direction.FROM_FPGA, [
    (FromFPGA.JTAG_DATA, 33, _value(33)),
    (FromFPGA.OMNIBUS_DATA, 32, _value(32)),
    (FromFPGA.LOOPBACK, 1, _value(1)),
    (FromFPGA.HIGHSPEED_LINK_NOTIFICATION, 8, HIGHSPEED_LINK_NOTIFICATION),
    (FromFPGA.TIMEOUT_NOTIFICATION, 45, TIMEOUT_NOTIFICATION),
    (FromFPGA.SYSTIME, 43, _value(43)),
    (FromFPGA.SYSDELTA, 8, _value(8)),
    (FromFPGA.MADC_SAMPLE_PACK_1, 24, _pack(1, MADC_SAMPLE)),
    (FromFPGA.MADC_SAMPLE_PACK_2, 48, _pack(2, MADC_SAMPLE)),
    (FromFPGA.MADC_SAMPLE_PACK_3, 72, _pack(3, MADC_SAMPLE)),
    (FromFPGA.SPIKE_PACK_1, 24, _pack(1, SPIKE_FROM_FPGA)),
    (FromFPGA.SPIKE_PACK_2, 48, _pack(2, SPIKE_FROM_FPGA)),
    (FromFPGA.SPIKE_PACK_3, 72, _pack(3, SPIKE_FROM_FPGA)),
])

DICTIONARIES: dict[Direction, tuple[InstructionSpec, ...]] = {
    Direction.TO_FPGA: TO_FPGA, Direction.FROM_FPGA: FROM_FPGA,
}


@lru_cache(maxsize=None, typed=True)  # typed: the two enums share their integer values
def spec(instruction: ToFPGA | FromFPGA) -> InstructionSpec:
    """The dictionary row of an instruction."""
    direction = Direction.TO_FPGA if isinstance(instruction, ToFPGA) else Direction.FROM_FPGA
    return DICTIONARIES[direction][int(instruction)]
