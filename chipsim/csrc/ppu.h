/* C-side include of the PPU model: the cffi-visible interface plus helpers shared by the
 * scalar core (ppu_core.c) and the vector unit (ppu_fxv.c). */
#ifndef BSS2_PPU_H
#define BSS2_PPU_H
#include <stdint.h>
#include "ppu_api.h"

/* Host pointer to `size` bytes at data address `addr` when they lie wholly in SRAM or the
 * external memory window, else NULL (the caller raises a data storage exception). */
uint8_t *bss2_ppu_data_pointer(bss2_ppu *p, uint32_t addr, uint32_t size);

/* 1 when the access of `size` bytes at data address addr (already resolved to memory) touches
 * the watched external memory range and the instruction starting at `cycles` has not been let
 * through: it must stop with BSS2_BUS_SYNC (bus_kind and bus_addr are set). */
static inline int bss2_ppu_watched(bss2_ppu *p, uint32_t addr, uint32_t size, uint64_t cycles)
{
    uint32_t off = addr - BSS2_PPU_EXTMEM_BASE;   /* wraps past the window below it */
    if (!p->watch_bytes || off >= BSS2_PPU_EXTMEM_BYTES || off + size <= p->watch_offset
        || off >= p->watch_offset + p->watch_bytes || p->watch_pass == cycles + 1)
        return 0;
    p->bus_kind = BSS2_BUS_SYNC;
    p->bus_addr = addr;
    return 1;
}

#endif
