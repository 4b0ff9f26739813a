/* C-side include of the PPU model: the cffi-visible interface plus helpers shared by the
 * scalar core (ppu_core.c) and the vector unit (ppu_fxv.c). */
#ifndef BSS2_PPU_H
#define BSS2_PPU_H
#include <stdint.h>
#include "ppu_api.h"

/* Host pointer to `size` bytes at data address `addr` when they lie wholly in SRAM or the
 * external memory window, else NULL (the caller raises a data storage exception). */
uint8_t *bss2_ppu_data_pointer(bss2_ppu *p, uint32_t addr, uint32_t size);

/* Host pointer to the instruction word at fetch address pc, or NULL (instruction storage
 * exception): SRAM at 0 and, when the core has external memory, extmem byte pc - 0x8000_0000 for
 * pc in [BSS2_PPU_EXTMEM_CODE_BASE, + BSS2_PPU_EXTMEM_BYTES) (the bytes data accesses see at
 * BSS2_PPU_EXTMEM_BASE + the same offset). Every reader of the word at pc (execution, bus
 * completion, bus errors) goes through here, so all of them see the word the core executes. */
static inline const uint8_t *bss2_ppu_fetch_pointer(const bss2_ppu *p, uint32_t pc)
{
    uint32_t off = pc - BSS2_PPU_EXTMEM_CODE_BASE;   /* wraps for addresses below the view */
    if (pc <= BSS2_PPU_SRAM_BYTES - 4)
        return p->sram + pc;
    if (p->extmem && off <= BSS2_PPU_EXTMEM_BYTES - 4)
        return p->extmem + off;
    return 0;
}

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
