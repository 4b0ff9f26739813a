/* PPU address map and core helpers for C programs on the emulated HICANN-X plasticity processor.
 *
 * Scalar view: SRAM 0..0x3FFF (code, data, stack, mailbox at 0x3000), the on-chip bus (omnibus)
 * for data addresses with bit 31 set, FPGA external memory (extmem) at 0x4000_0000 for data and
 * at 0x8000_0000 for instruction fetches (code in .ext.text, PPU_EXT_TEXT).
 * Vector view (fxvinx/fxvoutx, fxv.h): the synapse array and its sensors at the PPU_VIO_* bases.
 * Sources of the numbers: docs/ppu_runtime.md (bss2-facts section 4.2) and protocol/omnibus.py.
 */
#ifndef PPU_H
#define PPU_H

#include <stdint.h>

#include "mailbox.h"

/* --- scalar address map ------------------------------------------------------------------- */
#define PPU_SRAM_BASE 0x00000000u
#define PPU_SRAM_SIZE 0x4000u
#define PPU_EXTMEM_BASE 0x40000000u /* FPGA external memory, data accesses */
#define PPU_EXTMEM_SIZE 0x20000u
#define PPU_EXTMEM_CODE_BASE 0x80000000u /* the same memory, instruction fetches */
#define PPU_OMNIBUS_WINDOW 0x80000000u

/* Pointer to the omnibus register at `word_address` (byte address = window | word << 2). */
#define OMNIBUS(word_address) \
    ((volatile uint32_t *)(PPU_OMNIBUS_WINDOW | ((uint32_t)(word_address) << 2)))

/* --- omnibus word addresses (protocol/omnibus.py) --------------------------------------------
 * Neuron "sides" are the left (columns 0..127) and right (128..255) halves; within a side,
 * index = hemisphere * 128 + column % 128. */
#define OMNIBUS_NEURON_RESET_LEFT 0x00122000u
#define OMNIBUS_NEURON_RESET_RIGHT 0x0012A000u
#define OMNIBUS_SPIKE_COUNTER_READ_OFFSET 0x800u  /* + index: read the neuron's spike counter */
#define OMNIBUS_SPIKE_COUNTER_RESET_OFFSET 0xC00u /* + index: write 1 to clear it */
#define OMNIBUS_SYNRAM_TOP 0x02C00000u            /* synapse weight quads, + row * 64 + quad */
#define OMNIBUS_SYNRAM_BOTTOM 0x03C00000u
#define OMNIBUS_SYNRAM_LABEL_OFFSET 0x40000u

/* Omnibus word address of the neuron-side register block for a hemisphere column. */
static inline uint32_t omnibus_neuron_side_base(uint32_t column)
{
    return column < 128 ? OMNIBUS_NEURON_RESET_LEFT : OMNIBUS_NEURON_RESET_RIGHT;
}

/* Spike counter of neuron `column` of this PPU's hemisphere. */
static inline uint32_t spike_counter_read(uint32_t hemisphere, uint32_t column)
{
    uint32_t index = hemisphere * 128 + column % 128;
    return *OMNIBUS(omnibus_neuron_side_base(column) + OMNIBUS_SPIKE_COUNTER_READ_OFFSET + index);
}

/* Clear the spike counter of neuron `column`. */
static inline void spike_counter_reset(uint32_t hemisphere, uint32_t column)
{
    uint32_t index = hemisphere * 128 + column % 128;
    *OMNIBUS(omnibus_neuron_side_base(column) + OMNIBUS_SPIKE_COUNTER_RESET_OFFSET + index) = 1;
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

#define PPU_CYCLES_PER_US 250u

#endif
