/* The mailbox: the last 4 KiB of the PPU's SRAM, the one interface between a PPU program and the
 * host. The host reads it over the omnibus after the program sleeps. This header is the single
 * source of the layout: crt.S includes it, and the host parses the MAILBOX_* defines below
 * (host/ppu/toolchain.py, mailbox_layout), so keep them as plain `#define NAME 0x...` lines.
 *
 *   offset  size  content
 *   0x000   4     exit magic: MAILBOX_EXIT_MAGIC_VALUE once exit() ran
 *   0x004   4     exit code: start()'s return value (or exit's argument)
 *   0x008   4     fault magic: MAILBOX_FAULT_MAGIC_VALUE once an exception handler ran
 *   0x00C   4     fault vector number (0 reset .. 12 decrementer, = vector address / 4)
 *   0x010   4     fault SRR0 (CSRR0 for the critical class: machine check, critical input,
 *                 critical doorbell): address of the faulting or next instruction
 *   0x014   4     fault ESR (exception syndrome)
 *   0x018   4     fault DEAR (data address of a storage or alignment fault)
 *   0x01C   4     fault instruction word at SRR0 (0 if SRR0 is outside SRAM or unaligned)
 *   0x020   4     text length: bytes written to the text area so far
 *   0x024   28    reserved (zero)
 *   0x040   1984  user words: 496 x 32-bit slots for results (mailbox_set_word)
 *   0x800   2048  text: NUL-free characters written by mailbox_write_* (length at 0x020)
 *
 * All words are big-endian like everything on the PPU. The runtime never clears the mailbox: the
 * host zeroes it when it loads a program, so a zero magic means "did not get there".
 */
#ifndef PPU_MAILBOX_H
#define PPU_MAILBOX_H

#define MAILBOX_BASE 0x3000
#define MAILBOX_SIZE 0x1000

#define MAILBOX_EXIT_MAGIC 0x000
#define MAILBOX_EXIT_CODE 0x004
#define MAILBOX_FAULT_MAGIC 0x008
#define MAILBOX_FAULT_VECTOR 0x00C
#define MAILBOX_FAULT_SRR0 0x010
#define MAILBOX_FAULT_ESR 0x014
#define MAILBOX_FAULT_DEAR 0x018
#define MAILBOX_FAULT_INSN 0x01C
#define MAILBOX_TEXT_LENGTH 0x020
#define MAILBOX_USER_WORDS 0x040
#define MAILBOX_USER_WORDS_COUNT 496
#define MAILBOX_TEXT 0x800
#define MAILBOX_TEXT_SIZE 0x800

#define MAILBOX_EXIT_MAGIC_VALUE 0x45584954  /* "EXIT" */
#define MAILBOX_FAULT_MAGIC_VALUE 0x46415554 /* "FAUT" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* One mailbox word by byte offset. */
#define MAILBOX_WORD(offset) (*(volatile uint32_t *)(MAILBOX_BASE + (offset)))

/* Append characters to the text area (silently cut at its end); returns how many were written. */
uint32_t mailbox_write_string(const char *text);

/* Append a signed decimal number to the text area. */
uint32_t mailbox_write_int(int32_t value);

/* Append 0x and eight hex digits to the text area. */
uint32_t mailbox_write_hex(uint32_t value);

/* Store a result word in user slot `index` (0 .. MAILBOX_USER_WORDS_COUNT - 1; others ignored). */
static inline void mailbox_set_word(uint32_t index, uint32_t value)
{
    if (index < MAILBOX_USER_WORDS_COUNT)
        MAILBOX_WORD(MAILBOX_USER_WORDS + 4 * index) = value;
}

/* Store the exit code and the exit magic, then sleep forever (never returns). */
void exit(int code) __attribute__((noreturn));
#endif

#endif
