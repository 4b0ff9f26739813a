/* PPU address map and core helpers for C programs on the emulated HICANN-X plasticity processor.
 *
 * Scalar view: SRAM 0..0x3FFF (code, data, stack, mailbox at 0x3000), the on-chip bus (omnibus)
 * for data addresses with bit 31 set, FPGA external memory (extmem) at 0x4000_0000 for data and
 * at 0x8000_0000 for instruction fetches (code in .ext.text, PPU_EXT_TEXT).
 * Vector view (fxvinx/fxvoutx, fxv.h): the synapse array and its sensors at the PPU_VIO_* bases.
 * Addresses, strides and clocks come from omnibus_map.h, generated from the protocol declarations;
 * the vector I/O bases below are docs/ppu_runtime.md (bss2-facts section 4.2).
 */
#ifndef PPU_H
#define PPU_H

#include <stdint.h>

#include "mailbox.h"
#include "omnibus_map.h"

/* Pointer to the omnibus register at `word_address` (byte address = window | word << 2). */
#define OMNIBUS(word_address) \
    ((volatile uint32_t *)(PPU_OMNIBUS_WINDOW | ((uint32_t)(word_address) << 2)))

/* --- neuron-side omnibus registers (omnibus_map.h) ------------------------------------------ */

/* Omnibus word address of the neuron-side register of a hemisphere column at `offset`. */
static inline uint32_t omnibus_neuron_register(uint32_t offset, uint32_t hemisphere,
                                               uint32_t column)
{
    uint32_t side = column < 128 ? OMNIBUS_NEURON_RESET_LEFT : OMNIBUS_NEURON_RESET_RIGHT;
    return side + offset + OMNIBUS_NEURON_STRIDE * (hemisphere * 128 + column % 128);
}

/* Spike counter of neuron `column` of a hemisphere: count in bits 7..0, overflow in bit 8. */
static inline uint32_t spike_counter_read(uint32_t hemisphere, uint32_t column)
{
    return *OMNIBUS(omnibus_neuron_register(OMNIBUS_SPIKE_COUNTER_READ_OFFSET, hemisphere, column));
}

/* Clear the spike counter of neuron `column` (the write itself triggers; haldls writes 0). */
static inline void spike_counter_reset(uint32_t hemisphere, uint32_t column)
{
    *OMNIBUS(omnibus_neuron_register(OMNIBUS_SPIKE_COUNTER_RESET_OFFSET, hemisphere, column)) = 0;
}

/* --- vector parallel-I/O bases (fxvinx/fxvoutx address = base + index) -----------------------
 * Synapse rows take two vector accesses: index 2 * row for the even columns, 2 * row + 1 for
 * the odd ones. */
#define PPU_VIO_WEIGHTS 0x00000000u
#define PPU_VIO_TIME_CALIB 0x00010000u /* 2-bit sensor time-constant calibration */
#define PPU_VIO_AMP_CALIB 0x00020000u  /* 2-bit sensor amplitude calibration */
#define PPU_VIO_LABELS 0x00040000u
#define PPU_VIO_CADC_CAUSAL 0x00080000u
#define PPU_VIO_CORRELATION_RESET_CAUSAL 0x00090000u
#define PPU_VIO_CADC_ACAUSAL 0x000C0000u
#define PPU_VIO_CORRELATION_RESET_ACAUSAL 0x000D0000u
#define PPU_VIO_CADC_BUFFERED 0x00200000u /* OR into a CADC base: buffered read */
#define PPU_VIO_RNG 0x000E0000u           /* 0 = even columns, 1 = odd */
#define PPU_VIO_SYNRAM_RAW 0x000F0000u
#define PPU_VIO_NEURON_RESET 0x00C90200u  /* 0 = even, 1 = odd; masked by the condition */
#define PPU_VIO_EXTMEM 0x80000000u        /* + extmem byte offset >> 4 */

/* A variable the host sets in the ELF image before loading (host/ppu/elf.py,
 * PpuProgram.with_symbol_value): kept in .data even when zero-initialised, so it is loaded. */
#define PPU_PARAMETER __attribute__((section(".data.parameters"), used)) volatile

/* A function placed in the FPGA external memory (.ext.text, fetched at 0x8000_0000 + offset)
 * instead of SRAM, for code that does not fit the 12 KiB below the mailbox. Every instruction
 * fetched from there costs extra cycles (docs/ppu_isa.md, CYC_EXTMEM_FETCH), so use it for cold
 * code (set-up, rare paths) and keep inner loops in SRAM. Calls in either direction between SRAM
 * and extmem code need nothing else: the linker routes them through a 4-instruction thunk
 * (`bl` reaches only 32 MiB). noinline keeps the body from being copied into SRAM callers. */
#define PPU_EXT_TEXT __attribute__((section(".ext.text"), noinline))

/* --- core helpers ------------------------------------------------------------------------- */

/* Sleep until an interrupt (X-form 31/62, encoded by hand: the assembler lacks Nux's wait). */
static inline void ppu_wait(void)
{
    __asm__ volatile(".long 0x7c00007c" ::: "memory");
}

/* Order memory and parallel I/O: everything before completes before anything after. */
static inline void ppu_sync(void)
{
    __asm__ volatile("sync" ::: "memory");
}

/* Time base: cycles since reset at 250 MHz (TBU:TBL, read consistently). */
static inline uint64_t ppu_time_base(void)
{
    uint32_t upper, lower, again;
    do {
        __asm__ volatile("mfspr %0, 269" : "=r"(upper));
        __asm__ volatile("mfspr %0, 268" : "=r"(lower));
        __asm__ volatile("mfspr %0, 269" : "=r"(again));
    } while (upper != again);
    return ((uint64_t)upper << 32) | lower;
}


#endif
