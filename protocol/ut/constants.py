"""Numbers of the UT message format and its host framing (bss2-facts §5.3, §3).

Every width here is a documented fact of hxcomm/fisch; the code derives everything else.
"""
from __future__ import annotations

#: bits of one physical word on the host <-> FPGA link; messages are packed into these
WORD_BITS = 64
#: all bits of one physical word set
WORD_MASK = (1 << WORD_BITS) - 1
#: the comma bit sits left-aligned in the header; 0 in every valid message, 1 marks padding
COMMA_BITS = 1
#: header = comma + instruction index, rounded up to the header alignment of 8 bits
HEADER_BITS = 8
#: to-FPGA messages are rounded up to multiples of this many bits (hxcomm subword uint64)
TO_FPGA_SUBWORD_BITS = 64
#: from-FPGA messages are rounded up to multiples of this many bits (hxcomm subword uint8)
FROM_FPGA_SUBWORD_BITS = 8
#: no message is shorter than one physical word (the UT takes one message per PHY word)
MIN_MESSAGE_BITS = WORD_BITS

#: spike label width (bits 15-14 SPL1 address, 13-0 neuron label)
LABEL_BITS = 16
#: width of the chip timestamp carried by every spike / MADC sample from the FPGA
EVENT_TIMESTAMP_BITS = 8
#: MADC sample: 10 value bits, the channel in bit 10 of a 16-bit field
MADC_VALUE_BITS = 10
MADC_SAMPLE_FIELD_BITS = 16
#: at most this many spikes / samples travel in one pack message
MAX_PACK = 3

#: FPGA time (Systime payload, reconstructed event times) is 43 bits of 8 ns ticks
FPGA_TIME_BITS = 43
FPGA_TIME_MASK = (1 << FPGA_TIME_BITS) - 1
#: fisch's decoder advances its FPGA time by one tick for every message it receives
TICKS_PER_MESSAGE = 1
#: the event timestamp counts at 250 MHz; the decoder halves it onto the 125 MHz FPGA clock
TIMESTAMP_DIVIDER = 2
#: FPGA clock: 125 ticks per microsecond (8 ns per tick)
FPGA_TICKS_PER_US = 125
