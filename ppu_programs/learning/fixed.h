/* Fixed-point arithmetic for the PPU (no FPU): the formats and functions the spike-time
 * gradients (fsgrad.c) and the optimiser are written in.
 *
 * Formats (all two's complement; "Qm.n" = n fractional bits):
 *   Q16.16  int32    spike times in units of tau_syn, thresholds, loss parameters
 *   Q8.24   int32    weights, errors dL/dT and gradients dL/dw; saturate at +-128
 *   Q.30    int64    intermediate reals ("1.0 = 2^30"), e.g. logarithms, ratios, 1 + W
 *   fs_real          value = m * 2^e with |m| in [2^30, 2^31) (or m = 0): a cheap software
 *                    float for quantities whose range is not known in advance (1 / (a1 (1 + W)))
 *
 * Accuracy (absolute, in Q.30 units unless noted): fs_exp_neg <= 2, fs_log_q30 <= 4,
 * fs_real_div / fs_real_mul / fs_recip relative 2^-29. Costs on the PPU are in fsgrad.c's header.
 */
#ifndef FS_FIXED_H
#define FS_FIXED_H

#include <stdint.h>

#include "ppu.h"

/* Rarely run code (fallback paths, once-per-sample and once-per-batch helpers) lives in the
 * FPGA external memory: PPU code and data share 12 KiB of SRAM. */
#define FS_EXT PPU_EXT_TEXT __attribute__((minsize))

#define FS_Q30_ONE (INT64_C(1) << 30)
#define FS_Q30_LIMIT (INT64_C(1) << 62) /* saturation bound of Q.30 results */

/** value = m * 2^e; m is normalised to |m| in [2^30, 2^31), or 0. */
typedef struct {
    int32_t m;
    int32_t e;
} fs_real;

/* Saturation of a 64-bit value to int32 and a saturating int32 addition (inline: the
 * gradient loops use them per synapse). */
static inline int32_t fs_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static inline int32_t fs_add_sat(int32_t a, int32_t b)
{
    int32_t s;
    if (__builtin_add_overflow(a, b, &s))
        s = a < 0 ? INT32_MIN : INT32_MAX;
    return s;
}

/* High words of 32 x 32-bit products: one mulhw / mulhwu (as instructions: from the C
 * expression clang may widen to a 64 x 64-bit product when it knows more about an operand). */
static inline int32_t fs_mulhw(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("mulhw %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t fs_mulhwu(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("mulhwu %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* Leading zeros of a nonzero 64-bit value (two cntlzw). */
static inline int fs_clz64(uint64_t v)
{
    return __builtin_clzll(v);
}

/* About 2^62 / u for u in [2^31, 2^32), i.e. 1 / U in Q.30 for U = u 2^-32 in [1/2, 1) (relative
 * error below 2^-29; at most INT32_MAX). */
uint32_t fs_recip(uint32_t u);

/* v * 2^sh rounded to nearest and saturated to int32 (any sh). */
int32_t fs_shift_sat(int64_t v, int sh);

/* e^-a for a >= 0 in Q.30, result in Q.30 (0 for a >= 22, where e^-a < 2^-31). */
uint32_t fs_exp_neg(uint64_t a);

/* e^-(j/16), j = 0..15, in Q.31 */
extern const uint32_t fs_exp_sixteenth[16];

/* e^-r for r below 1/16 in Q.32, result Q.31: Taylor polynomial of degree 5 (error below
 * r^6/720 < 1e-10), in 32-bit high-word products. */
static inline uint32_t fs_exp_neg_small(uint32_t r)
{
    uint32_t q = 17895697;                  /* 1/120 */
    q = 89478485 - fs_mulhwu(r, q);         /* 1/24 */
    q = 357913941 - fs_mulhwu(r, q);        /* 1/6 */
    q = (1u << 30) - fs_mulhwu(r, q);       /* 1/2 */
    q = (1u << 31) - fs_mulhwu(r, q);
    return (1u << 31) - fs_mulhwu(r, q);
}

/* e^-a for a below 1 (Q.30), result Q.30 within 2 units: fs_exp_neg's arithmetic inline. */
static inline uint32_t fs_exp_neg_unit(uint32_t a)
{
    return fs_mulhwu(fs_exp_sixteenth[a >> 26], fs_exp_neg_small((a & ((1u << 26) - 1)) << 2));
}

/* e^x for x in Q.30, result Q.30; x is clamped at FS_EXP_ARG_MAX (e^20 ~ 4.9e8). */
#define FS_EXP_ARG_MAX (20 * FS_Q30_ONE)
int64_t fs_exp_q30(int64_t x);

/* e^x = m * 2^*j for x in Q.30 (any x): m in Q.30, in (1/2, 1] with *j >= 1 when x > 0, else
 * e^x itself with *j = 0. Lets callers scale e^x without 64-bit overflow. */
uint32_t fs_exp_split(int64_t x, int *j);

/* Natural logarithm of x * 2^-frac (x > 0), result Q.30. */
int64_t fs_log_q30(uint64_t x, int frac);

/* fs_real from the fixed-point value v * 2^-frac, back to v * 2^-frac (rounded, saturated
 * at +-FS_Q30_LIMIT), product and quotient (b != 0). */
fs_real fs_real_from(int64_t v, int frac);
int64_t fs_real_to_fixed(fs_real a, int frac);
fs_real fs_real_mul(fs_real a, fs_real b);
fs_real fs_real_div(fs_real a, fs_real b);

/* num / den (den != 0) in Q.30 when num and den share their format; saturates at
 * +-FS_Q30_LIMIT. */
int64_t fs_div_q30(int64_t num, int64_t den);

/* floor(sqrt(x)): 64-bit radicand, 32-bit root (for the Adam optimiser and the W0 series). */
uint32_t fs_isqrt64(uint64_t x);

#endif
