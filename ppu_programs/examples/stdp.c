/* Correlation-driven STDP-like rule with the vector unit, for rows first_row .. last_row - 1:
 *   w += eta * (causal - acausal), saturated to the weight range 0..63,
 * where causal/acausal are the CADC readings of the synapses' correlation sensors (0..255).
 * The correlations are reset after each read, so every call sees what happened since the last.
 * The host sets the parameters in the ELF image (symbols) and calls the program repeatedly. */
#include "fxv.h"

PPU_PARAMETER uint32_t first_row = 0;
PPU_PARAMETER uint32_t last_row = 256;
PPU_PARAMETER uint32_t eta = 16; /* learning rate as a Q7 fraction: eta / 128 per CADC step / 2 */

/* vector registers used below (literal numbers: the macros put them into instruction words) */
#define CAUSAL 0
#define ACAUSAL 1
#define DELTA 2
#define WEIGHT 3
#define ETA 4
#define ZERO 5
#define MAXIMUM 6
#define SCRATCH 7

static void update_half_row(uint32_t index)
{
    FXV_INX(CAUSAL, PPU_VIO_CADC_CAUSAL + index, FXV_ALWAYS);
    FXV_INX(ACAUSAL, PPU_VIO_CADC_ACAUSAL + index, FXV_ALWAYS);
    FXV_OUTX(ZERO, PPU_VIO_CORRELATION_RESET_CAUSAL + index, FXV_ALWAYS);
    FXV_OUTX(ZERO, PPU_VIO_CORRELATION_RESET_ACAUSAL + index, FXV_ALWAYS);
    /* CADC codes are unsigned bytes: halve them (logical shift) into the signed range */
    FXV_SHB(CAUSAL, CAUSAL, -1);
    FXV_SHB(ACAUSAL, ACAUSAL, -1);
    FXV_SUBBFS(DELTA, CAUSAL, ACAUSAL, FXV_ALWAYS); /* -127 .. 127 */
    FXV_MULBFS(DELTA, DELTA, ETA, FXV_ALWAYS);      /* (delta * eta) >> 7 */
    FXV_INX(WEIGHT, PPU_VIO_WEIGHTS + index, FXV_ALWAYS);
    FXV_ADDBFS(WEIGHT, WEIGHT, DELTA, FXV_ALWAYS);  /* saturates at -128 .. 127 */
    /* clamp to 0 .. 63: below zero -> 0, above 63 -> 63 */
    FXV_CMPB(WEIGHT);
    FXV_SEL(WEIGHT, WEIGHT, ZERO, FXV_IF_LT);
    FXV_SUBBM(SCRATCH, WEIGHT, MAXIMUM, FXV_ALWAYS);
    FXV_CMPB(SCRATCH);
    FXV_SEL(WEIGHT, WEIGHT, MAXIMUM, FXV_IF_GT);
    FXV_OUTX(WEIGHT, PPU_VIO_WEIGHTS + index, FXV_ALWAYS);
}

int start(void)
{
    if (first_row > last_row || last_row > 256 || eta > 127)
        return 1;
    FXV_SPLATB(ETA, eta);
    FXV_SPLATB(ZERO, 0);
    FXV_SPLATB(MAXIMUM, 63);
    for (uint32_t row = first_row; row < last_row; row++) {
        update_half_row(fxv_half_row(row, 0));
        update_half_row(fxv_half_row(row, 1));
    }
    ppu_sync();
    return 0;
}
