/* Scale the weights of one synapse row by factor / 128 with the vector unit: read each half row
 * through parallel I/O, multiply by a splatted Q7 fraction, write it back. The new row is also
 * stored in the mailbox user words (bytes of the even columns, then the odd ones).
 * The host sets `row` and `factor` in the ELF image before loading (symbols). */
#include "fxv.h"

PPU_PARAMETER uint32_t row = 0;
PPU_PARAMETER uint32_t factor = 64; /* 0..127: weight * factor / 128, truncated */

int start(void)
{
    if (row >= 256 || factor > 127)
        return 1;
    FXV_SPLATB(1, factor);
    for (uint32_t half = 0; half < 2; half++) {
        uint32_t address = PPU_VIO_WEIGHTS + fxv_half_row(row, half);
        FXV_INX(0, address, FXV_ALWAYS);
        /* weights 0..63 read as Q7 fractions: high byte of 2 * w * f = (w * f) >> 7 */
        FXV_MULBFS(2, 0, 1, FXV_ALWAYS);
        FXV_OUTX(2, address, FXV_ALWAYS);
        FXV_STAX(2, MAILBOX_BASE + MAILBOX_USER_WORDS + half * FXV_BYTES);
    }
    ppu_sync();
    return 0;
}
