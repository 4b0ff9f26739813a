"""Instruction indices of both UT dictionaries and the named values of their payloads.

The enum value of an instruction *is* its header (its index in hxcomm's dictionary,
bss2-facts §5.3); the declarations in `dictionary.py` are keyed by these members.
"""
from __future__ import annotations

from enum import IntEnum


class Direction(IntEnum):
    """Which way a message travels; each direction has its own dictionary."""

    TO_FPGA = 0
    FROM_FPGA = 1


class ToFPGA(IntEnum):
    """Host -> FPGA instructions (header = index)."""

    JTAG_INIT = 0
    JTAG_SCALER = 1
    JTAG_INS = 2
    JTAG_DATA = 3
    TIMER_SETUP = 4
    WAIT_UNTIL = 5
    SYSTIME_INIT = 6
    BARRIER = 7
    POLLING_OMNIBUS_BLOCK = 8
    SYSTEM_RESET = 9
    LOOPBACK = 10
    OMNIBUS_ADDRESS = 11
    OMNIBUS_DATA = 12
    SPIKE_PACK_1 = 13
    SPIKE_PACK_2 = 14
    SPIKE_PACK_3 = 15


class FromFPGA(IntEnum):
    """FPGA -> host instructions (header = index)."""

    JTAG_DATA = 0
    OMNIBUS_DATA = 1
    LOOPBACK = 2
    HIGHSPEED_LINK_NOTIFICATION = 3
    TIMEOUT_NOTIFICATION = 4
    SYSTIME = 5
    SYSDELTA = 6
    MADC_SAMPLE_PACK_1 = 7
    MADC_SAMPLE_PACK_2 = 8
    MADC_SAMPLE_PACK_3 = 9
    SPIKE_PACK_1 = 10
    SPIKE_PACK_2 = 11
    SPIKE_PACK_3 = 12


class JtagIR(IntEnum):
    """JTAG instruction register values selected by `ToFPGA.JTAG_INS`."""

    EXTEST = 0
    IDCODE = 1
    SAMPLE_PRELOAD = 2
    PLL_TARGET_REG = 3
    SHIFT_PLL = 4
    OMNIBUS_ADDRESS = 5
    OMNIBUS_DATA = 6
    OMNIBUS_REQUEST = 7
    BYPASS = 127


class LoopbackKind(IntEnum):
    """Payload of a loopback message in both directions: halt ends a program."""

    HALT = 0
    TICK = 1


#: pack instructions by number of spikes/samples carried, for the builders and bulk paths
SPIKE_PACKS_TO_FPGA = (ToFPGA.SPIKE_PACK_1, ToFPGA.SPIKE_PACK_2, ToFPGA.SPIKE_PACK_3)
SPIKE_PACKS_FROM_FPGA = (FromFPGA.SPIKE_PACK_1, FromFPGA.SPIKE_PACK_2, FromFPGA.SPIKE_PACK_3)
MADC_PACKS_FROM_FPGA = (
    FromFPGA.MADC_SAMPLE_PACK_1, FromFPGA.MADC_SAMPLE_PACK_2, FromFPGA.MADC_SAMPLE_PACK_3)
