"""Golden encodings of every UT instruction, written by hand from the documented layouts.

Layout (bss2-facts §5.3): message = [comma 0][7-bit header = index][zero fill][payload,
right-aligned]; to-FPGA messages are 64 bits, from-FPGA ones are rounded up to whole bytes
with a minimum of 64, so a one-word message is `header << 56 | payload`.
"""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol.ut import (
    FROM_FPGA,
    TO_FPGA,
    Direction,
    FromFPGA,
    JtagIR,
    LoopbackKind,
    ToFPGA,
    UTError,
    barrier,
    decode,
    encode,
    encode_message,
    jtag_data,
    jtag_init,
    jtag_ins,
    jtag_scaler,
    loopback,
    message,
    omnibus_address,
    omnibus_write,
    polling_omnibus_block,
    spike_pack,
    system_reset,
    systime_init,
    timer_setup,
    wait_until,
)

TO = [
    # JTAG Init: header 0, no payload
    (jtag_init(), 0x0000_0000_0000_0000),
    # JTAG Scaler: header 1, 8-bit divider
    (jtag_scaler(3), 0x0100_0000_0000_0003),
    # JTAG Ins: header 2, 7-bit IR (IDCODE 1, BYPASS 127)
    (jtag_ins(JtagIR.IDCODE), 0x0200_0000_0000_0001),
    (jtag_ins(JtagIR.BYPASS), 0x0200_0000_0000_007F),
    # JTAG Data: header 3, keep_response in bit 48, num_bits in bits 45-40, data in 32-0
    (jtag_data(0, 32, keep_response=True), 0x0301_2000_0000_0000),
    (jtag_data(0x1_FFFF_FFFF, 33, keep_response=True), 0x0301_2101_FFFF_FFFF),
    (jtag_data(0x5, 3), 0x0300_0300_0000_0005),
    # Timer Setup: header 4
    (timer_setup(), 0x0400_0000_0000_0000),
    # WaitUntil: header 5, 32-bit target
    (wait_until(10), 0x0500_0000_0000_000A),
    (wait_until(0xFFFF_FFFF), 0x0500_0000_FFFF_FFFF),
    # SystimeInit: header 6, 1 bit
    (systime_init(1), 0x0600_0000_0000_0001),
    # Barrier: header 7, bit0 omnibus, 1 jtag, 2 systime, 3 multi_fpga, 4 systime_correction
    (barrier(omnibus=True), 0x0700_0000_0000_0001),
    (barrier(jtag=True, multi_fpga=True), 0x0700_0000_0000_000A),
    (barrier(True, True, True, True, True), 0x0700_0000_0000_001F),
    (barrier(systime_correction=True), 0x0700_0000_0000_0010),
    # PollingOmnibusBlock: header 8, 1 bit
    (polling_omnibus_block(1), 0x0800_0000_0000_0001),
    # Reset: header 9, 1 bit
    (system_reset(True), 0x0900_0000_0000_0001),
    (system_reset(False), 0x0900_0000_0000_0000),
    # Loopback: header 10, 0 halt / 1 tick
    (loopback(LoopbackKind.HALT), 0x0A00_0000_0000_0000),
    (loopback(LoopbackKind.TICK), 0x0A00_0000_0000_0001),
    # Omnibus Address: header 11, bit 36 is_read, 35-32 byte enables, 31-0 address
    (omnibus_address(0x8800_0000, is_read=True), 0x0B00_001F_8800_0000),
    (omnibus_address(0x0016_0000, is_read=False, byte_enables=0x5), 0x0B00_0005_0016_0000),
    # Omnibus Data: header 12, 32 bits
    (message(ToFPGA.OMNIBUS_DATA, value=0xDEAD_BEEF), 0x0C00_0000_DEAD_BEEF),
    # SpikePack1/2/3: headers 13-15, 16-bit labels, first label most significant
    (spike_pack([0xABCD]), 0x0D00_0000_0000_ABCD),
    (spike_pack([0x1111, 0x2222]), 0x0E00_0000_1111_2222),
    (spike_pack([0x1111, 0x2222, 0x3333]), 0x0F00_1111_2222_3333),
]

FROM = [
    # JTAG data: header 0, 33 bits
    (message(FromFPGA.JTAG_DATA, value=0x2485_80AF), [0x0000_0000_2485_80AF]),
    (message(FromFPGA.JTAG_DATA, value=0x1_0000_0000), [0x0000_0001_0000_0000]),
    # Omnibus data: header 1, 32 bits
    (message(FromFPGA.OMNIBUS_DATA, value=0xCAFE_BABE), [0x0100_0000_CAFE_BABE]),
    # Loopback echo: header 2
    (message(FromFPGA.LOOPBACK, value=0), [0x0200_0000_0000_0000]),
    # High-speed link notification: header 3, bits 7-5 phy, 4 link_up, 3 decode_error,
    # 2 crc_error, 1 crc_recover, 0 check_error: phy 5 + link_up + crc_error + check = 0xB5
    (message(FromFPGA.HIGHSPEED_LINK_NOTIFICATION, phy=5, link_up=1, decode_error=0,
             crc_error=1, crc_recover=0, check_error=1), [0x0300_0000_0000_00B5]),
    # Timeout: header 4, 44-39 reads in flight, 38-32 stall count, 31-0 value
    (message(FromFPGA.TIMEOUT_NOTIFICATION, omnibus_reads_in_flight=0x3F,
             trace_stall_count=0x7F, value=0x1234_5678), [0x0400_1FFF_1234_5678]),
    (message(FromFPGA.TIMEOUT_NOTIFICATION, omnibus_reads_in_flight=1,
             trace_stall_count=0, value=0), [0x0400_0080_0000_0000]),
    # Systime: header 5, 43 bits
    (message(FromFPGA.SYSTIME, value=0x7FF_FFFF_FFFF), [0x0500_07FF_FFFF_FFFF]),
    # Sysdelta: header 6, 8 bits
    (message(FromFPGA.SYSDELTA, value=0x80), [0x0600_0000_0000_0080]),
    # MADC pack 1: header 7, sample = [ts 8][5 zero][channel 1][value 10]
    (message(FromFPGA.MADC_SAMPLE_PACK_1, timestamp_0=0xAB, channel_0=1, value_0=0x3FF),
     [0x0700_0000_00AB_07FF]),
    # MADC pack 2: header 8, 8 fill bits, samples 0x010002 and 0x030404
    (message(FromFPGA.MADC_SAMPLE_PACK_2, timestamp_0=1, channel_0=0, value_0=2,
             timestamp_1=3, channel_1=1, value_1=4), [0x0800_0100_0203_0404]),
    # MADC pack 3: header 9, 80 bits: 09 010002 030404 0503FF, then comma bit and zeros
    (message(FromFPGA.MADC_SAMPLE_PACK_3, timestamp_0=1, channel_0=0, value_0=2,
             timestamp_1=3, channel_1=1, value_1=4, timestamp_2=5, channel_2=0, value_2=0x3FF),
     [0x0901_0002_0304_0405, 0x03FF_8000_0000_0000]),
    # Spike pack 1: header 10, spike = [ts 8][label 16]
    (message(FromFPGA.SPIKE_PACK_1, timestamp_0=0x12, label_0=0x3456), [0x0A00_0000_0012_3456]),
    # Spike pack 2: header 11
    (message(FromFPGA.SPIKE_PACK_2, timestamp_0=1, label_0=0xFFFF, timestamp_1=2, label_1=1),
     [0x0B00_01FF_FF02_0001]),
    # Spike pack 3: header 12, 80 bits: 0C 011111 022222 033333
    (message(FromFPGA.SPIKE_PACK_3, timestamp_0=1, label_0=0x1111, timestamp_1=2,
             label_1=0x2222, timestamp_2=3, label_2=0x3333),
     [0x0C01_1111_0222_2203, 0x3333_8000_0000_0000]),
]


def test_golden_tables_cover_every_instruction():
    assert {m.instruction for m, _ in TO} == {r.instruction for r in TO_FPGA}
    assert {m.instruction for m, _ in FROM} == {r.instruction for r in FROM_FPGA}


@pytest.mark.parametrize(("msg", "word"), TO, ids=[repr(m) for m, _ in TO])
def test_to_fpga_golden(msg, word):
    assert encode_message(msg) == word.to_bytes(8, "big")
    assert [int(w) for w in encode([msg], Direction.TO_FPGA)] == [word]
    assert decode(np.array([word], np.uint64), Direction.TO_FPGA) == [msg]


@pytest.mark.parametrize(("msg", "words"), FROM, ids=[repr(m) for m, _ in FROM])
def test_from_fpga_golden(msg, words):
    assert [int(w) for w in encode([msg], Direction.FROM_FPGA)] == words
    assert decode(np.array(words, np.uint64), Direction.FROM_FPGA) == [msg]


SPIKE3_A = message(FromFPGA.SPIKE_PACK_3, timestamp_0=1, label_0=0x1111, timestamp_1=2,
                   label_1=0x2222, timestamp_2=3, label_2=0x3333)
SPIKE3_B = message(FromFPGA.SPIKE_PACK_3, timestamp_0=4, label_0=0x4444, timestamp_1=5,
                   label_1=0x5555, timestamp_2=6, label_2=0x6666)


def test_two_80_bit_messages_pack_back_to_back():
    # 0C01111102222203 3333 | 0C04444405555506 6666 | comma: 160 bits -> 3 words
    words = [0x0C01_1111_0222_2203, 0x3333_0C04_4444_0555, 0x5506_6666_8000_0000]
    assert [int(w) for w in encode([SPIKE3_A, SPIKE3_B], Direction.FROM_FPGA)] == words
    assert decode(np.array(words, np.uint64), Direction.FROM_FPGA) == [SPIKE3_A, SPIKE3_B]


def test_message_straddling_words_after_80_bit_message():
    halt = message(FromFPGA.LOOPBACK, value=0)
    spike1 = message(FromFPGA.SPIKE_PACK_1, timestamp_0=0x12, label_0=0x3456)
    words = [0x0C01_1111_0222_2203, 0x3333_0200_0000_0000, 0x0000_0A00_0000_0012,
             0x3456_8000_0000_0000]
    assert [int(w) for w in encode([SPIKE3_A, halt, spike1], Direction.FROM_FPGA)] == words
    assert decode(np.array(words, np.uint64), Direction.FROM_FPGA) == [SPIKE3_A, halt, spike1]


def test_word_aligned_stream_gets_no_padding_word():
    assert len(encode([wait_until(1), *omnibus_write(2, 3)], Direction.TO_FPGA)) == 3


def test_decoder_skips_idle_words_and_junk_after_a_comma():
    halt = message(FromFPGA.LOOPBACK, value=0)
    # idle words (leading comma) anywhere a header is due are dropped
    words = [0x8000_0000_0000_0000, 0x0200_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
             0x0C01_1111_0222_2203, 0x3333_8123_4567_89AB, 0x0200_0000_0000_0000]
    # after the 80-bit pack the next bit is a comma: the rest of that word (junk) is dropped
    assert decode(np.array(words, np.uint64), Direction.FROM_FPGA) == [halt, SPIKE3_A, halt]


@pytest.mark.parametrize(("direction", "word"), [
    (Direction.TO_FPGA, 0x1000_0000_0000_0000),    # header 16: one past SpikePack3
    (Direction.FROM_FPGA, 0x0D00_0000_0000_0000),  # header 13: one past SpikePack3
    (Direction.FROM_FPGA, 0x7F00_0000_0000_0000),
])
def test_unknown_header_is_rejected(direction, word):
    with pytest.raises(UTError, match="unknown"):
        decode(np.array([word], np.uint64), direction)


def test_stream_ending_inside_a_message_is_rejected():
    with pytest.raises(UTError, match="ends inside"):
        decode(np.array([0x0C01_1111_0222_2203], np.uint64), Direction.FROM_FPGA)


@pytest.mark.parametrize(("build", "args"), [
    (wait_until, (1 << 32,)),
    (jtag_scaler, (256,)),
    (jtag_scaler, (-1,)),
    (jtag_data, (0, 34)),
    (jtag_data, (0, 2)),
    (jtag_data, (1 << 33, 33)),
    (spike_pack, ([],)),
    (spike_pack, ([1, 2, 3, 4],)),
    (spike_pack, ([1 << 16],)),
])
def test_out_of_range_fields_are_rejected(build, args):
    with pytest.raises(UTError):
        encode_message(build(*args))


def test_message_requires_exactly_its_fields():
    with pytest.raises(UTError, match="takes fields"):
        message(ToFPGA.WAIT_UNTIL, value=1, extra=2)
    with pytest.raises(UTError, match="takes fields"):
        message(ToFPGA.OMNIBUS_ADDRESS, address=1)
