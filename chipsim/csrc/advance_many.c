/* Many neurons' propagations at once: bss2_advance on four AVX2 lanes, bit for bit the
 * scalar code (the exponential's table gathered, the kernel's branches blended). A lane whose
 * exponential leaves the normal range (overflow, NaN, a zero or subnormal result) is handed
 * back to bss2_advance. Machines without AVX2, and the tests' scalar runs, take bss2_advance
 * for all. */
#include "core.h"
#include "advance_many.h"
#include "lif.h"
#include "simd.h"

#ifdef BSS2_HAVE_AVX2_PATH
/* bss2_kernel_term on four lanes, its three branches blended: dt em where d = 0,
 * em (expm1(dt d) inv_d) where |dt d| < BSS2_EXPM1_BELOW, (es - em) inv_d elsewhere. */
BSS2_AVX2 static inline __m256d kernel4(__m256d dt, __m256d em, __m256d es, __m256d d,
                                        __m256d inv_d)
{
    __m256d x = _mm256_mul_pd(dt, d);
    __m256d small = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
                                  _mm256_set1_pd(BSS2_EXPM1_BELOW), _CMP_LT_OQ);
    __m256d k = _mm256_mul_pd(_mm256_sub_pd(es, em), inv_d);
    k = _mm256_blendv_pd(
        k, _mm256_mul_pd(em, _mm256_mul_pd(bss2_expm1_small4(x), inv_d)), small);
    return _mm256_blendv_pd(k, _mm256_mul_pd(dt, em),
                            _mm256_cmp_pd(d, _mm256_setzero_pd(), _CMP_EQ_OQ));
}

#define LANES 4
#define GATHER(a, f) _mm256_set_pd((a)[n[3]] f, (a)[n[2]] f, (a)[n[1]] f, (a)[n[0]] f)

/* The neurons n[0..lanes), lanes <= 4 (n has four entries), their membranes moving or
 * (move_v = 0) clamped; returns the mask of lanes left to the scalar code (nothing stored for
 * them). */
BSS2_AVX2 static inline int advance4(const int32_t *n, int lanes, int move_v, double t,
                                     double *t_state, double *v, double *je, double *ji,
                                     const double *e_leak, const bss2_rates *rate)
{
    __m256d dt = _mm256_sub_pd(_mm256_set1_pd(t), GATHER(t_state, ));
    __m256d je0 = GATHER(je, ), ji0 = GATHER(ji, );
    __m256d exc = GATHER(rate, .exc), inh = GATHER(rate, .inh);
    __m256d ndt = _mm256_xor_pd(dt, _mm256_set1_pd(-0.0));
    __m256d special = _mm256_setzero_pd();
    __m256d on_e = _mm256_cmp_pd(je0, _mm256_setzero_pd(), _CMP_NEQ_UQ);
    __m256d on_i = _mm256_cmp_pd(ji0, _mm256_setzero_pd(), _CMP_NEQ_UQ);
    __m256d ee = _mm256_and_pd(on_e, bss2_exp4(_mm256_mul_pd(ndt, exc), &special));
    __m256d ei = _mm256_and_pd(on_i, bss2_exp4(_mm256_mul_pd(ndt, inh), &special));
    double out_v[LANES], out_je[LANES], out_ji[LANES];
    if (move_v) {
        __m256d v0 = GATHER(v, ), el = GATHER(e_leak, ), mem = GATHER(rate, .mem);
        __m256d em = bss2_exp4(_mm256_mul_pd(ndt, mem), &special);
        __m256d vn = _mm256_add_pd(el, _mm256_mul_pd(_mm256_sub_pd(v0, el), em));
        __m256d ke = kernel4(dt, em, ee, _mm256_sub_pd(mem, exc), GATHER(rate, .inv_d_exc));
        __m256d ki = kernel4(dt, em, ei, _mm256_sub_pd(mem, inh), GATHER(rate, .inv_d_inh));
        vn = _mm256_blendv_pd(vn, _mm256_add_pd(vn, _mm256_mul_pd(je0, ke)), on_e);
        vn = _mm256_blendv_pd(vn, _mm256_sub_pd(vn, _mm256_mul_pd(ji0, ki)), on_i);
        _mm256_storeu_pd(out_v, vn);
    }
    _mm256_storeu_pd(out_je, _mm256_mul_pd(je0, ee));
    _mm256_storeu_pd(out_ji, _mm256_mul_pd(ji0, ei));
    int left = _mm256_movemask_pd(special) & ((1 << lanes) - 1);
    for (int l = 0; l < lanes; ++l) {
        if (!(left >> l & 1)) {
            if (move_v) {
                v[n[l]] = out_v[l];
            }
            je[n[l]] = out_je[l];
            ji[n[l]] = out_ji[l];
            t_state[n[l]] = t;
        }
    }
    return left;
}
#endif

static void advance_one(int32_t n, int move_v, double t, double *t_state, double *v, double *je,
                        double *ji, const double *e_leak, const bss2_rates *rate)
{
    bss2_advance(t - t_state[n], move_v, &v[n], &je[n], &ji[n], e_leak[n], &rate[n]);
    t_state[n] = t;
}

void bss2_advance_many(const int32_t *idx, int32_t m, int move_v, double t, double *t_state,
                       double *v, double *je, double *ji, const double *e_leak,
                       const bss2_rates *rate)
{
#ifdef BSS2_HAVE_AVX2_PATH
    if (bss2_simd_lanes) {
        for (int32_t i = 0; i < m; i += LANES) {
            int lanes = (m - i < LANES) ? m - i : LANES;
            int32_t n[LANES];
            for (int l = 0; l < LANES; ++l) { /* a short tail repeats its last neuron */
                n[l] = idx[i + ((l < lanes) ? l : lanes - 1)];
            }
            int left = advance4(n, lanes, move_v, t, t_state, v, je, ji, e_leak, rate);
            for (int l = 0; left; ++l, left >>= 1) {
                if (left & 1) {
                    advance_one(n[l], move_v, t, t_state, v, je, ji, e_leak, rate);
                }
            }
        }
        return;
    }
#endif
    for (int32_t i = 0; i < m; ++i) {
        advance_one(idx[i], move_v, t, t_state, v, je, ji, e_leak, rate);
    }
}
