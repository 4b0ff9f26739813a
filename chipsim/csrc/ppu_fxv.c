/* PLACEHOLDER until the vector unit lands: every FXV instruction is illegal. */
#include "ppu.h"

uint32_t bss2_fxv_execute(bss2_ppu *p, uint32_t insn)
{
    return BSS2_EXC_PROGRAM;
}

void bss2_fxv_complete(bss2_ppu *p)
{
}
