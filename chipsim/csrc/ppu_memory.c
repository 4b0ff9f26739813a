/* The PPU's directly attached memories: 16 KiB SRAM at 0 and the FPGA external memory window. */
#include "ppu.h"

uint8_t *bss2_ppu_data_pointer(bss2_ppu *p, uint32_t addr, uint32_t size)
{
    if (size == 0 || size > BSS2_PPU_EXTMEM_BYTES)
        return 0;
    if (addr < BSS2_PPU_SRAM_BYTES && size <= BSS2_PPU_SRAM_BYTES - addr)
        return p->sram + addr;
    if (p->extmem && addr >= BSS2_PPU_EXTMEM_BASE) {
        uint32_t off = addr - BSS2_PPU_EXTMEM_BASE;
        if (off < BSS2_PPU_EXTMEM_BYTES && size <= BSS2_PPU_EXTMEM_BYTES - off)
            return p->extmem + off;
    }
    return 0;
}
