/* PLACEHOLDER until the scalar core lands. */
#include "ppu.h"
void bss2_ppu_reset(bss2_ppu *p) { p->pc = 0; p->status = BSS2_PPU_RUNNING; }
uint32_t bss2_ppu_run(bss2_ppu *p, uint64_t cycle_limit) { return p->status; }
void bss2_ppu_complete(bss2_ppu *p) { }
