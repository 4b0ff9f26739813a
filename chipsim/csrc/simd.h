/* Vector lanes (AVX2) for the event engine: whether to use them, and the engine's exponential
 * (and e^x - 1 near zero) on four lanes. Lanes give the scalar code's bits: the same IEEE
 * operations in the same order, no contraction (the "avx2" target has no FMA). Other machines,
 * or a build with -DBSS2_NO_SIMD, have the scalar code only. */
#ifndef BSS2_SIMD_H
#define BSS2_SIMD_H

#include <stdint.h>
#include "exp_kernel.h"

/* Nonzero while the lanes are in use: the machine has AVX2 and bss2_set_simd has not turned
 * them off (simd.c). */
extern int bss2_simd_lanes;

#if defined(__GNUC__) && defined(__x86_64__) && !defined(BSS2_NO_SIMD)
#include <immintrin.h>
#define BSS2_HAVE_AVX2_PATH 1
#define BSS2_AVX2 __attribute__((target("avx2")))

/* bss2_exp on four lanes; lanes that bss2_exp treats specially (overflow, NaN, a zero or
 * subnormal result) are or-ed into *special and their value is meaningless. */
BSS2_AVX2 static inline __m256d bss2_exp4(__m256d x, __m256d *special)
{
    const __m256d shift = _mm256_set1_pd(BSS2_EXP_SHIFT);
    __m256d kd = _mm256_add_pd(_mm256_mul_pd(x, _mm256_set1_pd(BSS2_EXP_INV_LN2_N)), shift);
    /* kd = SHIFT + k exactly, so k is the difference of the bit patterns */
    __m256i k = _mm256_sub_epi64(_mm256_castpd_si256(kd), _mm256_castpd_si256(shift));
    kd = _mm256_sub_pd(kd, shift);
    __m256d hi = _mm256_mul_pd(kd, _mm256_set1_pd(BSS2_EXP_LN2_HI_N));
    __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, hi),
                              _mm256_mul_pd(kd, _mm256_set1_pd(BSS2_EXP_LN2_LO_N)));
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d q = _mm256_add_pd(
        _mm256_add_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(r, _mm256_set1_pd(1.0 / 6.0))),
        _mm256_mul_pd(r2, _mm256_add_pd(_mm256_set1_pd(1.0 / 24.0),
                                        _mm256_mul_pd(r, _mm256_set1_pd(1.0 / 120.0)))));
    __m256d p = _mm256_add_pd(r, _mm256_mul_pd(r2, q));
    __m256i j = _mm256_and_si256(k, _mm256_set1_epi64x((1 << BSS2_EXP_BITS) - 1));
    __m256d t = _mm256_i64gather_pd(bss2_exp_table, j, 8);
    __m256d y = _mm256_add_pd(t, _mm256_mul_pd(t, p));
    /* 2^(k >> BITS) for k >= -1022 * 2^BITS (below it the lane is special): a logical shift
     * of k biased to be non-negative */
    __m256i biased = _mm256_add_epi64(k, _mm256_set1_epi64x((int64_t)1023 << BSS2_EXP_BITS));
    __m256i bits = _mm256_slli_epi64(_mm256_srli_epi64(biased, BSS2_EXP_BITS), 52);
    y = _mm256_mul_pd(y, _mm256_castsi256_pd(bits));
    __m256d out = _mm256_or_pd(
        _mm256_cmp_pd(x, _mm256_set1_pd(BSS2_EXP_OVERFLOW_ABOVE), _CMP_NLT_UQ),
        _mm256_cmp_pd(x, _mm256_set1_pd(BSS2_EXP_ZERO_BELOW), _CMP_LT_OQ));
    __m256i low = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-(int64_t)1022 << BSS2_EXP_BITS), k);
    *special = _mm256_or_pd(*special, _mm256_or_pd(out, _mm256_castsi256_pd(low)));
    return y;
}

/* bss2_expm1_small on four lanes. */
BSS2_AVX2 static inline __m256d bss2_expm1_small4(__m256d x)
{
    __m256d p = _mm256_add_pd(_mm256_set1_pd(1.0 / 24.0),
                              _mm256_mul_pd(x, _mm256_set1_pd(1.0 / 120.0)));
    p = _mm256_add_pd(_mm256_set1_pd(1.0 / 6.0), _mm256_mul_pd(x, p));
    p = _mm256_add_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(x, p));
    return _mm256_add_pd(x, _mm256_mul_pd(_mm256_mul_pd(x, x), p));
}
#endif

#endif
