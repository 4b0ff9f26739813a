"""The polling block: POLLING_OMNIBUS_BLOCK waits on the FPGA, not on the host, until an omnibus
word matches (bss2-facts §5.3 names the instruction; its configuration registers here are
bss2emu's layout, in the executor register block next to the event ring's).

* Four executor registers (read/write, 32 bits each): the omnibus word address to poll, a
  mask, a target, and a deadline in program-timer ticks (8 ns since the last TIMER_SETUP;
  0 = none). A system reset clears them.
* POLLING_OMNIBUS_BLOCK(value): the FPGA reads the word, and while
  `(word & mask) == target` is not what `value` asks for (1: equal, 0: not equal) it lets
  emulated time pass (`POLL_FIRST_TICKS`, doubling up to `POLL_MAX_TICKS`) and reads again.
  The block ends when the condition holds, when the program timer reaches a non-zero
  deadline, or -- if the address does not answer -- at once with a TIMEOUT_NOTIFICATION for
  it. The server's limits per program (emulated time, wall time) apply as to WAIT_UNTIL: a
  block that would run past them abandons the program with the limit notice
  (docs/protocol.md §4).

A host waits for a PPU to sleep with one program: set address = the PPU's status word,
mask = target = its sleep bit, a deadline, then TIMER_SETUP, POLLING_OMNIBUS_BLOCK(1) and
reads of the status and the timer (`host.ppu.runner`).
"""
from __future__ import annotations

from . import fpga_registers as fr
from .bitfields import register

#: executor registers (bss2emu layout)
ADDRESS = fr.EXECUTOR_BASE + 0x200
MASK = fr.EXECUTOR_BASE + 0x201
TARGET = fr.EXECUTOR_BASE + 0x202
DEADLINE = fr.EXECUTOR_BASE + 0x203

ADDRESS_WORD = register("polling_address", ("address", 32))
"""The omnibus word address the block reads."""
MASK_WORD = register("polling_mask", ("mask", 32))
"""Bits of the word that are compared."""
TARGET_WORD = register("polling_target", ("target", 32))
"""What the masked word is compared with."""
DEADLINE_WORD = register("polling_deadline", ("ticks", 32))
"""Program-timer value at which the block gives up (0: no deadline)."""

REGISTERS = {ADDRESS: ADDRESS_WORD, MASK: MASK_WORD, TARGET: TARGET_WORD,
             DEADLINE: DEADLINE_WORD}

#: emulated time between two reads of the polled word (FPGA ticks): 1 us after the first read,
#: doubling after every read up to 100 us. The emulated FPGA runs the chip in steps of this
#: length while it polls (each step costs a chip run; the real FPGA reads as fast as the
#: omnibus answers), so a block ends at most one step after its condition holds: within a
#: factor of two of short waits, within 100 us of long ones (what `ppu run` polled at from the
#: host before). The steps depend only on the number of reads, never on the machine.
POLL_FIRST_TICKS = 125
POLL_MAX_TICKS = 12_500
