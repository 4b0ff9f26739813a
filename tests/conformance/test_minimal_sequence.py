"""The minimal real-system sequence (hxcomm test-readout_jtag_id, bss2-facts §5.3) at the
protocol level: its words, its framing, and the two responses it expects."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol.link import FrameReader, FrameWriter, PacketType
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    LoopbackKind,
    ResponseDecoder,
    decode,
    encode,
    jtag_data,
    jtag_init,
    jtag_scaler,
    loopback,
    message,
    system_reset,
    timer_setup,
    wait_until,
)

PROGRAM = [
    system_reset(True), timer_setup(), wait_until(10), system_reset(False), wait_until(100),
    jtag_scaler(3), jtag_init(), jtag_data(0, 32, keep_response=True), wait_until(10000),
    loopback(LoopbackKind.HALT),
]
# header << 56 | payload, one word per to-FPGA message (layouts in docs/protocol.md §1.1)
WORDS = [
    0x0900_0000_0000_0001, 0x0400_0000_0000_0000, 0x0500_0000_0000_000A,
    0x0900_0000_0000_0000, 0x0500_0000_0000_0064, 0x0100_0000_0000_0003,
    0x0000_0000_0000_0000, 0x0301_2000_0000_0000, 0x0500_0000_0000_2710,
    0x0A00_0000_0000_0000,
]


def test_program_words():
    assert [int(w) for w in encode(PROGRAM, Direction.TO_FPGA)] == WORDS


def test_program_survives_framing():
    raw = FrameWriter().frames(np.array(WORDS, np.uint64))
    (frame,) = FrameReader().feed(raw)
    assert frame.ptype is PacketType.UT
    assert decode(frame.words, Direction.TO_FPGA) == PROGRAM


def test_expected_responses_decode():
    # the chip answers the JTAG read with its ID (v3: 0x348580AF) and echoes the halt
    responses = [message(FromFPGA.JTAG_DATA, value=0x3485_80AF),
                 message(FromFPGA.LOOPBACK, value=0)]
    words = encode(responses, Direction.FROM_FPGA)
    assert [int(w) for w in words] == [0x0000_0000_3485_80AF, 0x0200_0000_0000_0000]
    out = ResponseDecoder().feed(words)
    assert out.jtag["value"].tolist() == [0x3485_80AF]
    assert out.loopback["value"].tolist() == [LoopbackKind.HALT]
