"""UT messages: the instruction set between host and FPGA (bss2-facts §5.3).

Declared once in `dictionary`; `message`/`stream` are the exact scalar codec, `fields`,
`pack`, `bulk` and `responses` the vectorised numpy paths derived from the same declarations.
"""
from .builders import (
    barrier,
    jtag_data,
    jtag_init,
    jtag_ins,
    jtag_scaler,
    loopback,
    omnibus_address,
    omnibus_read,
    omnibus_write,
    polling_omnibus_block,
    spike_pack,
    system_reset,
    systime_init,
    timer_setup,
    wait_until,
)
from .bulk import event_packs, omnibus_reads, omnibus_writes, spike_injection, wait_until_words
from .chiptime import TimeTracker, event_time, message_times
from .dictionary import DICTIONARIES, FROM_FPGA, TO_FPGA, InstructionSpec, spec
from .enums import Direction, FromFPGA, JtagIR, LoopbackKind, ToFPGA
from .fields import Wide, build, extract
from .message import Message, UTError, decode_message, encode_message, message
from .pack import Split, pack_words, split_words
from .responses import ResponseDecoder, Responses
from .stream import (
    Encoder,
    StreamDecoder,
    bytes_to_words,
    decode,
    encode,
    words_to_bytes,
)

__all__ = [
    "DICTIONARIES", "FROM_FPGA", "TO_FPGA", "Direction", "Encoder", "FromFPGA",
    "InstructionSpec", "JtagIR", "LoopbackKind", "Message", "ResponseDecoder", "Responses",
    "Split", "StreamDecoder", "TimeTracker", "ToFPGA", "UTError", "Wide", "barrier", "build",
    "bytes_to_words", "decode", "decode_message", "encode", "encode_message", "event_packs",
    "event_time", "extract", "jtag_data", "jtag_init", "jtag_ins", "jtag_scaler", "loopback",
    "message", "message_times", "omnibus_address", "omnibus_read", "omnibus_reads",
    "omnibus_write", "omnibus_writes", "pack_words", "polling_omnibus_block", "spec",
    "spike_injection", "spike_pack", "split_words", "system_reset", "systime_init",
    "timer_setup", "wait_until", "wait_until_words", "words_to_bytes",
]
