"""Named constructors for to-FPGA messages, with the semantic ranges hxcomm enforces."""
from __future__ import annotations

from collections.abc import Sequence

from .constants import MAX_PACK
from .enums import SPIKE_PACKS_TO_FPGA, JtagIR, LoopbackKind, ToFPGA
from .message import Message, UTError, message

#: JTAG data shifts between 3 and 33 bits (hxcomm to_fpga_jtag::Data::NumBits)
JTAG_NUM_BITS_RANGE = (3, 33)


def jtag_init() -> Message:
    """Reset the JTAG state machine."""
    return message(ToFPGA.JTAG_INIT)


def jtag_scaler(divider: int) -> Message:
    """Set the JTAG clock divider."""
    return message(ToFPGA.JTAG_SCALER, value=divider)


def jtag_ins(register: JtagIR) -> Message:
    """Select a JTAG instruction register."""
    return message(ToFPGA.JTAG_INS, value=int(register))


def jtag_data(payload: int, num_bits: int, keep_response: bool = False) -> Message:
    """Shift `num_bits` (3..33) bits of `payload`; keep_response asks for the read-back."""
    low, high = JTAG_NUM_BITS_RANGE
    if not low <= num_bits <= high:
        raise UTError(f"JTAG num_bits {num_bits} outside {low}..{high}")
    return message(ToFPGA.JTAG_DATA, keep_response=keep_response, num_bits=num_bits,
                   payload=payload)


def timer_setup() -> Message:
    """Zero the FPGA timer."""
    return message(ToFPGA.TIMER_SETUP)


def wait_until(ticks: int) -> Message:
    """Block until the FPGA timer reaches `ticks` (8 ns each)."""
    return message(ToFPGA.WAIT_UNTIL, value=ticks)


def systime_init(value: int = 1) -> Message:
    """Synchronise the chip's systime with the FPGA's."""
    return message(ToFPGA.SYSTIME_INIT, value=value)


def barrier(omnibus: bool = False, jtag: bool = False, systime: bool = False,
            multi_fpga: bool = False, systime_correction: bool = False) -> Message:
    """Block until the selected channels are idle."""
    return message(ToFPGA.BARRIER, omnibus=omnibus, jtag=jtag, systime=systime,
                   multi_fpga=multi_fpga, systime_correction=systime_correction)


def polling_omnibus_block(value: int = 1) -> Message:
    """Block until the configured omnibus word matches (mask/target in FPGA registers)."""
    return message(ToFPGA.POLLING_OMNIBUS_BLOCK, value=value)


def system_reset(enable: bool) -> Message:
    """Drive the chip reset line."""
    return message(ToFPGA.SYSTEM_RESET, value=enable)


def loopback(kind: LoopbackKind = LoopbackKind.HALT) -> Message:
    """Ask the FPGA to echo a marker; HALT ends a playback program."""
    return message(ToFPGA.LOOPBACK, value=int(kind))


def omnibus_address(address: int, is_read: bool, byte_enables: int = 0xF) -> Message:
    """Start an omnibus access to a word address."""
    return message(ToFPGA.OMNIBUS_ADDRESS, is_read=is_read, byte_enables=byte_enables,
                   address=address)


def omnibus_write(address: int, value: int, byte_enables: int = 0xF) -> list[Message]:
    """An omnibus write: Address(is_read=0) followed by Data."""
    return [omnibus_address(address, False, byte_enables),
            message(ToFPGA.OMNIBUS_DATA, value=value)]


def omnibus_read(address: int) -> Message:
    """An omnibus read: one Address(is_read=1); answered by one omnibus Data response."""
    return omnibus_address(address, True)


def spike_pack(labels: Sequence[int]) -> Message:
    """Inject 1-3 spikes now; the first label goes in the most significant slot."""
    if not 1 <= len(labels) <= MAX_PACK:
        raise UTError(f"a spike pack carries 1..{MAX_PACK} labels, got {len(labels)}")
    return message(SPIKE_PACKS_TO_FPGA[len(labels) - 1],
                   **{f"label_{i}": label for i, label in enumerate(labels)})
