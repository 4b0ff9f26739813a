/* C-side include of the PPU model: the cffi-visible interface plus helpers shared by the
 * scalar core (ppu_core.c) and the vector unit (ppu_fxv.c). */
#ifndef BSS2_PPU_H
#define BSS2_PPU_H
#include <stdint.h>
#include "ppu_api.h"

/* Host pointer to `size` bytes at data address `addr` when they lie wholly in SRAM or the
 * external memory window, else NULL (the caller raises a data storage exception). */
uint8_t *bss2_ppu_data_pointer(bss2_ppu *p, uint32_t addr, uint32_t size);

#endif
