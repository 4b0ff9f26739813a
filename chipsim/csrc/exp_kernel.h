/* The event engine's exponential: the same double as exp() in chipsim/exp_kernel.py (which
 * documents the method and generates the table) on any machine, and inlined; and e^x - 1 near
 * zero, the same way. Needs IEEE
 * doubles rounding to nearest and no contraction into fused multiply-adds. */
#ifndef BSS2_EXP_KERNEL_H
#define BSS2_EXP_KERNEL_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "exp_table.h"

#define BSS2_EXP_BITS 7
#define BSS2_EXP_INV_LN2_N 184.6649652337873
#define BSS2_EXP_LN2_HI_N 0x1.62e42fef80000p-8
#define BSS2_EXP_LN2_LO_N 0x1.1cf79abc9e3b4p-43
#define BSS2_EXP_SHIFT 6755399441055744.0
#define BSS2_EXP_OVERFLOW_ABOVE 709.78
#define BSS2_EXP_ZERO_BELOW -745.2

static inline double bss2_exp(double x)
{
    if (!(x < BSS2_EXP_OVERFLOW_ABOVE)) {
        return (x != x) ? x : INFINITY;
    }
    if (x < BSS2_EXP_ZERO_BELOW) {
        return 0.0;
    }
    double kd = x * BSS2_EXP_INV_LN2_N + BSS2_EXP_SHIFT;
    kd -= BSS2_EXP_SHIFT;
    double r = x - kd * BSS2_EXP_LN2_HI_N - kd * BSS2_EXP_LN2_LO_N;
    double r2 = r * r;
    double p = r + r2 * (0.5 + r * (1.0 / 6.0) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    int64_t k = (int64_t)kd;
    double t = bss2_exp_table[k & ((1 << BSS2_EXP_BITS) - 1)];
    double y = t + t * p;
    int64_t e = k >> BSS2_EXP_BITS; /* floor division (arithmetic shift) */
    if (e < -1022) {
        return ldexp(y, (int)e); /* subnormal result: rounded once, as math.ldexp does */
    }
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/* e^x - 1 for |x| < 1e-3 (where the kernels use it, lif.h) by its Taylor polynomial up to x^5:
 * the next term is below 2e-18 of the value. The same double as expm1_small() in
 * chipsim/exp_kernel.py on any machine, which libm's expm1 is not. */
static inline double bss2_expm1_small(double x)
{
    return x + (x * x) * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0))));
}

#endif
