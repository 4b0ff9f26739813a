/* FXV vector unit for PPU programs: the instruction macros (fxv_ops.h, generated from the FXV
 * instruction table chipsim/ppu/fxv_isa.py) and the conventions the examples share.
 *
 * Vector registers are named by number (0..31) in every macro; the compiler does not know
 * them, so nothing it generates touches them and they keep their values between macros.
 * Parallel I/O addresses are PPU_VIO_* (ppu.h) + half-row index; after fxvoutx, ppu_sync()
 * before anything that depends on the write having happened. */
#ifndef PPU_FXV_H
#define PPU_FXV_H

#include "fxv_ops.h"
#include "ppu.h"

/* C field values: predicate on the vector condition flags (set by FXV_CMPB/FXV_CMPH). */
#define FXV_ALWAYS 0
#define FXV_IF_GT 1
#define FXV_IF_LT 2
#define FXV_IF_EQ 3

/* Bytes in one vector register: one half synapse row (every other column). */
#define FXV_BYTES 128

/* Parallel-I/O index of a half row: even columns (half 0) or odd columns (half 1). */
static inline uint32_t fxv_half_row(uint32_t row, uint32_t half)
{
    return 2 * row + half;
}

#endif
