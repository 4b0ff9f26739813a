"""Registers that the emulated FPGA answers itself: its executor registers on the FPGA side of
the omnibus (word address bit 31 set, bss2-facts §8) and the MADC recording control block.

* Executor registers at 0x8800_0000 (read-only, bss2emu layout): the program timer (8 ns ticks
  since the last TIMER_SETUP, 32 bits) and the FPGA systime (43 bits, split in a low and a high
  word). The host reads the systime right after a TIMER_SETUP to turn the absolute event times
  of the response stream into times relative to that setup (no time passes between two
  instructions in emulation, so both reads see the same systime).
* EventRecordingConfig at 0x8800_0005 (haldls' address and bit): bit 0 enables the streaming
  of chip events routed to the FPGA back to the host. haldls' init writes it off and a run
  turns it on; the emulated FPGA starts with it on (bss2emu's choice, so that programs that do
  not know the register receive their events).
* Event ring registers at 0x8800_0100..2 (bss2emu extension): see protocol.event_ring.
* Emulated chip identity at 0x8800_0010/11 (bss2emu extension, read-only): the seed of the
  emulated chip (its fixed-pattern noise, i.e. which silicon it is), low and high 32 bits.
  Every HICANN-X v3 has the same JTAG IDCODE, so hosts key calibrations by this; a real FPGA
  answers these reads with a timeout (the real system keys calibrations by its setup).
* External memory at 0x8000_0000 (bss2-facts §4.2, §8): 128 KiB of FPGA memory that both PPUs
  reach at their data address 0x4000_0000; one 32-bit word per omnibus address, bytes in
  big-endian order (the PPU's byte address 0x4000_0000 + 4i is bits 31..24 of word i).
"""
from __future__ import annotations

from .bitfields import register

#: FPGA executor registers (bit 31 set: FPGA side of the omnibus)
EXECUTOR_BASE = 0x8800_0000
TIMER = EXECUTOR_BASE + 0
SYSTIME_LOW = EXECUTOR_BASE + 1
SYSTIME_HIGH = EXECUTOR_BASE + 2
SYSTIME_HIGH_BITS = 11  # 43-bit systime = high[10:0] << 32 | low
EVENT_RECORDING_CONFIG = EXECUTOR_BASE + 5
EMULATED_CHIP_SEED_LOW = EXECUTOR_BASE + 0x10
EMULATED_CHIP_SEED_HIGH = EXECUTOR_BASE + 0x11
EVENT_RECORDING_CONFIG_WORD = register("event_recording_config", ("enable_event_recording", 1))
"""Bit 0: chip events routed to the FPGA are sent to the host (reset value 1 in bss2emu)."""

#: FPGA external memory (PPU data window 0x4000_0000)
EXTMEM_BASE = 0x8000_0000
EXTMEM_WORDS = 128 * 1024 // 4
EXTMEM_WORD = register("extmem_word", ("value", 32))


def extmem_address(word: int) -> int:
    """Omnibus word address of word `word` (PPU byte address 0x4000_0000 + 4*word)."""
    if not 0 <= word < EXTMEM_WORDS:
        raise ValueError(f"extmem word {word} outside 0..{EXTMEM_WORDS - 1}")
    return EXTMEM_BASE + word
