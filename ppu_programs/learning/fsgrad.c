/* Spike-time gradients, loss and prediction in fixed point (interface and formats: fsgrad.h,
 * fixed.h); the maths follows host/learning/gradients.py for tau_m = tau_s.
 *
 * For output k firing at T with causal inputs C = {i: t_i <= T} and lags l_i = T - t_i, the
 * float reference's a1, b enter only through P = a1 e^-T = sum w_i e^-l_i and
 * Q = sum w_i l_i e^-l_i (the membrane at T): log_mz = log(c / P) - Q / P, x = -W0(z) solves
 * x e^-x = (c / P) e^(-Q / P), and
 *   dT/dw_i = -e^-l_i l_i / (P (1 + W)),   dT/dt_i = -w_i e^-l_i (l_i - 1) / (P (1 + W)).
 * Exponentials are factorised: E_i = e^-d_i, d_i = t_ref - t_i, once per input (t_ref: the
 * latest input that is causal for some output neuron), so with L = T - t_ref, l_i = L + d_i,
 *   P = S0 e^-L,  Q / P = x0 = L + D / S0,  S0 = sum w_i E_i,  D = sum w_i E_i d_i,
 *   dL/dw_ik = -(E_i L + E_i d_i) R,  dL/dt_i += -w_ik E_i (l_i - 1) R,  R = err_k / (S0 (1 + W)).
 * Per output neuron: two 64-bit sums, one exponential (e^L, for y0 = c / P), a Halley step from
 * the measured-time guess x0 (exact when T is the model's crossing, no exponential: see solve),
 * one Newton reciprocal, then 32-bit multipliers -L R, -R, R for the gradient loop. Neurons the
 * step does not settle take the general path (logarithm, series starts and Newton); a neuron
 * whose causal inputs all lie more than 3.4 tau_s before t_ref (E_i too coarse) gets E refilled
 * relative to its own latest causal input; |R| >= 16 (gradients of that size) takes software
 * floats. E_i and E_i d_i live in extmem scratch (data accesses cost as in SRAM), not the stack.
 *
 * Measured on the emulated PPU (tests/ppu/test_fixed_gradients.py, 60 chip-like cases each,
 * driver built with -O2), median cycles (the previous version in brackets):
 *   fs_layer_backward 5 x 120 (chip input layer), with err_in: 117 k (200 k), max 153 k
 *                                      err_in NULL (as on chip): 100 k (176 k)
 *   fs_layer_backward 120 x 3 (label layer), with err_in:         33 k ( 41 k), max  44 k
 *   fs_loss, 3 labels:                                           8 k
 * Per firing output neuron of 5 x 120 ~950 cycles without err_in: ~330 per-neuron arithmetic
 * (normalisation, e^L ~35, Halley, reciprocal ~50, multipliers), ~60 guard, ~100 call and
 * register saves, ~40 per causal synapse in the sums and ~45 in the gradient loop (+~50 for
 * err_in). SRAM code: column() ~2.7 KiB, fs_layer_backward ~0.6 KiB; cold paths in extmem.
 * Accuracy over 1050 random layers: worst |dL/dw| error 6.5e-4 (ill-conditioned neurons close
 * to 1 + W = 0), worst relative error 1.2e-4 for entries above 1e-3; loss within 1.6e-4.
 */
#include "fsgrad.h"

/* code size matters more than speed outside the per-synapse loops (12 KiB SRAM in all) */
#define FS_COLD __attribute__((minsize, noinline))
/* per-input scratch in the external memory: data accesses there cost the same as in SRAM */
#define FS_SCRATCH __attribute__((section(".ext.bss")))

#define ONE FS_Q30_ONE
#define INV_E_Q30 INT64_C(395007542)      /* 1 / e */
#define GAP_SERIES INT64_C(263066746)     /* 1 - e|z| below 0.245 (p < 0.7): branch series */
#define P_EXACT INT64_C(21474836)         /* p below 0.02: the series alone is exact */
#define NEWTON_MAX 12
#define NEWTON_DONE 1024                  /* stop after a step below 1e-6 (Q.30) */
#define E_FAST (1u << 25)                 /* causal E_i all below 1/32 (Q.30): refill E */
#define HALLEY_STEPS 3                    /* exponential steps before the general path */
#define LAG_FAST (32 << 16)               /* fast path for L below 32 (e^L c / S0 < 1 needs it) */
#define INV_LN2_Q30 1549082005            /* 1 / ln 2 */
#define LN2_Q30 744261118                 /* ln 2 */

/* One layer's constants for the per-neuron code. he: headroom bits of the scratch values,
 * so that sums of n_in products with Q8.24 weights cannot overflow 64 bits. */
typedef struct {
    const int32_t *t_in;
    int n_in, w_stride, g_stride, he, zc;
    uint32_t c_n;                         /* c_q16 << zc, in [2^31, 2^32) */
    int32_t c_q16, max_dw;
    int32_t *err_in;
} fs_layer;

static int32_t scratch_e[FS_MAX_IN] FS_SCRATCH;  /* E_i = e^-(ref - t_i), Q.(30 - he) */
static int32_t scratch_ed[FS_MAX_IN] FS_SCRATCH; /* E_i (ref - t_i), Q.(31 - he), below 1/e */

static inline int64_t mul30(int64_t a, int64_t b)
{
    return (a * b + (ONE >> 1)) >> 30;
}

/* v * 2^-sh rounded to nearest, sh >= 0 */
static inline int32_t round_shift(int32_t v, int sh)
{
    if (sh == 0)
        return v;
    return sh > 31 ? 0 : ((v >> (sh - 1)) + 1) >> 1;
}

/* 1 + W0 near the branch point from p = sqrt(2 (1 + e z)): p - p^2/3 + 11 p^3/72 - 43 p^4/540 */
FS_EXT static int64_t branch_series(int64_t p)
{
    int64_t s = -85501664;                 /* -43/540 */
    s = 164043890 + mul30(s, p);           /* 11/72 */
    s = -357913941 + mul30(s, p);          /* -1/3 */
    s = ONE + mul30(s, p);
    return mul30(s, p);
}

/* -W0(-y) for small y: y + y^2 + 3/2 y^3 + 8/3 y^4 */
FS_EXT static int64_t small_series(int64_t y)
{
    int64_t s = 2863311531;                /* 8/3 */
    s = 1610612736 + mul30(s, y);          /* 3/2 */
    s = ONE + mul30(s, y);
    s = ONE + mul30(s, y);
    return mul30(s, y);
}

/* 1 + W0(z) in Q.30 for z = -kappa_e / e with kappa_e = e |z| in [0, 1] (Q.30); `guess` is the
 * measured-time estimate of -W0. Returns 0 at the branch point (or if Newton fails). */
FS_EXT static int64_t one_plus_w(int64_t kappa_e, int64_t guess)
{
    int64_t gap = ONE - kappa_e;
    if (gap <= 0)
        return 0;
    int64_t x;
    if (gap < GAP_SERIES) {
        int64_t p = fs_isqrt64((uint64_t)(2 * gap) << 30);
        int64_t s = branch_series(p);
        if (p < P_EXACT)
            return s;
        x = ONE - s;
    } else if (guess > 0 && guess < ONE) {
        x = guess;
    } else {
        x = small_series(mul30(kappa_e, INV_E_Q30));
    }
    for (int it = 0; it < NEWTON_MAX; it++) {
        /* phi(x) = x - kappa e^x with kappa e^x = kappa_e e^-(1 - x); phi' = 1 - kappa e^x */
        int64_t g = mul30(kappa_e, fs_exp_neg((uint64_t)(ONE - x)));
        int64_t slope = ONE - g;
        if (slope <= 0) {
            /* past the peak: only a poor measured guess gets here; restart from the series */
            if (it > 0 || gap < GAP_SERIES)
                return 0;
            x = small_series(mul30(kappa_e, INV_E_Q30));
            continue;
        }
        int64_t step = fs_div_q30(x - g, slope);
        x -= step;
        if (x >= ONE)
            x = ONE - 1;
        if (step < NEWTON_DONE && step > -NEWTON_DONE)
            break;
    }
    return ONE - x;
}

/* E_i and E_i d_i (d_i = ref - t_i) of the inputs at or before ref, else 0 */
FS_COLD static void fill_exp(const fs_layer *ly, int32_t ref)
{
    int he = ly->he;
    for (int i = 0; i < ly->n_in; i++) {
        int32_t t = ly->t_in[i];
        uint32_t e = 0, ed = 0;
        if (t <= ref) {
            uint32_t d = (uint32_t)ref - (uint32_t)t;             /* Q16.16 */
            e = fs_exp_neg((uint64_t)d << 14);                   /* Q.30, 0 from d = 22 on */
            ed = (uint32_t)(((uint64_t)e * d) >> (15 + he));
            e = (e + ((1u << he) >> 1)) >> he;
        }
        scratch_e[i] = (int32_t)e;
        scratch_ed[i] = (int32_t)ed;
    }
}

/* Latest input at or before T (INT32_MIN if none) */
FS_COLD static int32_t latest_before(const int32_t *t_in, int n_in, int32_t big_t)
{
    int32_t latest = INT32_MIN;
    for (int i = 0; i < n_in; i++)
        if (t_in[i] <= big_t && t_in[i] > latest)
            latest = t_in[i];
    return latest;
}

/* General path (x0 outside (0, 1), far from the crossing or near the branch point):
 * log_mz + 1 = log(c / S0) - D / S0 + 1 (x0 = L + D / S0, so L cancels), then one_plus_w.
 * s0, dsum: the causal sums in Q.(54 - he), Q.(55 - he). Returns R (m = 0: no crossing). */
FS_EXT static fs_real general(const fs_layer *ly, int64_t s0, int64_t dsum, int32_t lag,
                               int32_t err)
{
    fs_real none = {0, 0};
    int f0 = 54 - ly->he;
    int64_t mean_d = fs_real_to_fixed(fs_real_div(fs_real_from(dsum, f0 + 1),
                                                  fs_real_from(s0, f0)), 30);
    int64_t log_mz_plus_1 = fs_log_q30((uint64_t)ly->c_q16, 16) - fs_log_q30((uint64_t)s0, f0)
                            - mean_d + ONE;
    if (log_mz_plus_1 > 0)
        return none;
    int64_t s = one_plus_w(fs_exp_neg((uint64_t)-log_mz_plus_1), mean_d + ((int64_t)lag << 14));
    if (s <= 0)
        return none;
    return fs_real_div(fs_real_from(err, 24),
                       fs_real_mul(fs_real_from(s0, f0), fs_real_from(s, 30)));
}

/* e^lag = m 2^(n - 30) for lag (Q16.16) below LAG_FAST, m (Q.30) about in (1/2, 1] */
static inline uint32_t exp_lag(int32_t lag, int *n)
{
    int j = (fs_mulhw(lag << 9, INV_LN2_Q30) >> 23) + 1;   /* floor(L / ln 2) + 1, or one less */
    int32_t r = (int32_t)((uint32_t)j * LN2_Q30 - ((uint32_t)lag << 14)); /* j ln 2 - L */
    if (r < 0) {
        j++;
        r += LN2_Q30;
    }
    *n = j;
    return fs_exp_neg_unit((uint32_t)r); /* r < 1 */
}

/* R = err / (S0 (1 + W)) from the settled Halley step: S (1 + W) = n / d (n = N, > 0) in units
 * where S = S0 2^(54 - he - k); one reciprocal, err and d normalised to keep 30 bits. */
static inline fs_real settled_r(int32_t err, int32_t d, int64_t n, int k, int he)
{
    uint32_t ue = err < 0 ? -(uint32_t)err : (uint32_t)err;
    int ze = __builtin_clz(ue), zd = __builtin_clz((uint32_t)d), zn = fs_clz64((uint64_t)n);
    uint32_t nn = (uint32_t)(((uint64_t)n << zn) >> 32);
    uint32_t m = fs_mulhwu(fs_mulhwu(ue << ze, (uint32_t)d << zd), fs_recip(nn));
    int zm = __builtin_clz(m) - 1;
    fs_real r = {(int32_t)(m << zm), zn - k - he - ze - zd - zm};
    if (err < 0)
        r.m = -r.m;
    return r;
}

/* Fast path, no logarithm, in 32-bit "S units": S = S0 2^(54 - he - k) in [2^29, 2^30),
 * X = x0 S with x0 = L + D / S0, Y = y0 S with y0 = c e^L / S0. x = -W solves
 * phi(x) = x - y0 e^(x - x0) = 0; at x0 every derivative of phi is known without an
 * exponential (phi' = 1 - y0, higher ones -y0), so the Halley step h = -2 g s' / (2 s'^2 + g y0)
 * (g = x0 - y0, s' = 1 - y0) is rational: exact when T is the model's crossing (g = 0), and its
 * error, ~h^3 / (4 (1 + W)^3) relative to 1 + W, is below 1e-5 once |h| <= (1 - x) / 32.
 * Otherwise the step is taken (x += h, y *= e^h) and repeated. d and 2 g s' need only ~1e-6:
 * they enter 1 + W = (1 - x) - h through h alone. Falls back to `general`. */
__attribute__((always_inline)) static inline fs_real solve(const fs_layer *ly, int64_t s0,
                                                           int64_t dsum, int32_t lag,
                                                           int32_t err)
{
    fs_real none = {0, 0};
    if (s0 <= 0)
        return none;
    int k = 34 - fs_clz64((uint64_t)s0);
    if (k < 0 || lag >= LAG_FAST)
        return general(ly, s0, dsum, lag, err);
    int32_t s = (int32_t)(s0 >> k);
    int64_t x64 = (((int64_t)lag * s) >> 16) + (dsum >> (k + 1));
    if (x64 <= 0 || x64 >= s)
        return general(ly, s0, dsum, lag, err);
    int32_t x = (int32_t)x64;
    /* Y = c e^L 2^(54 - he - k) = (c_n em 2^-31) 2^(n + 39 - zc - he - k) */
    int n;
    uint32_t pm = fs_mulhwu(ly->c_n, exp_lag(lag, &n) << 1);
    int sy = k + ly->he + ly->zc - n - 39;
    if (sy < 0 || (sy == 0 && pm >= (uint32_t)s)) /* Y >= S: y0 >= 1 */
        return general(ly, s0, dsum, lag, err);
    int32_t y = sy == 0 ? (int32_t)pm : round_shift((int32_t)(pm >> 1), sy - 1);
    if (y >= s)
        return general(ly, s0, dsum, lag, err);
    for (int it = 0;; it++) {
        int32_t g = x - y, s1 = s - y;
        /* 2 s'^2 + g y0 and 2 g s' in units of S^2 2^-30 */
        int32_t d = (fs_mulhw(2 * s1, 2 * s1) << 1) + fs_mulhw(2 * g, 2 * y);
        int32_t num = fs_mulhw(2 * g, 2 * s1) << 1;
        if (d <= 0)
            break;
        /* S (1 + W) = (S - X) + S num / d = (a + b) / d */
        int64_t a = (int64_t)(s - x) * d, b = (int64_t)s * num;
        if ((b < 0 ? -b : b) <= a >> 5)
            return settled_r(err, d, a + b, k, ly->he);
        if (it == HALLEY_STEPS)
            break;
        int64_t h = fs_div_q30(-(int64_t)num, d);
        if (h <= -ONE / 2 || h >= ONE / 2)
            break;
        x += (int32_t)((h * s) >> 30);
        y = (int32_t)(((int64_t)y * fs_exp_q30(h)) >> 30);
        if (x <= 0 || x >= s || y >= s)
            break;
    }
    return general(ly, s0, dsum, lag, err);
}

/* Gradient column and input errors when R is too large for the fixed-point multipliers
 * (|R| >= 16 or |L R| >= 16, gradients of that size): software floats per synapse. */
FS_EXT static int column_wide(const fs_layer *ly, const int32_t *w, int32_t *grad,
                              int32_t big_t, fs_real r)
{
    int64_t largest = 0;
    for (int pass = 0; pass < 2; pass++) {
        int write = pass == 1 && grad && !(ly->max_dw > 0 && largest > ly->max_dw);
        if (pass == 1 && !write && !ly->err_in)
            break;
        for (int i = 0; i < ly->n_in; i++) {
            int32_t t = ly->t_in[i];
            if (t > big_t)
                continue;
            fs_real e = fs_real_from((int64_t)scratch_e[i] << ly->he, 30);
            int64_t l = (int64_t)big_t - t;
            fs_real er = fs_real_mul(e, r);
            int32_t v = fs_sat32(-fs_real_to_fixed(fs_real_mul(er, fs_real_from(l, 16)), 24));
            if (pass == 0) {
                int64_t mag = v < 0 ? -(int64_t)v : v;
                largest = mag > largest ? mag : largest;
                continue;
            }
            if (write)
                grad[i * ly->g_stride] = fs_add_sat(grad[i * ly->g_stride], v);
            if (ly->err_in) {
                fs_real u = fs_real_mul(er, fs_real_from(l - 65536, 16));
                int64_t dt = -fs_real_to_fixed(fs_real_mul(u, fs_real_from(w[i * ly->w_stride],
                                                                           24)), 24);
                ly->err_in[i] = fs_add_sat(ly->err_in[i], fs_sat32(dt));
            }
        }
    }
    return ly->max_dw > 0 && largest > ly->max_dw;
}

static int column(const fs_layer *ly, const int32_t *w, int32_t *grad, int32_t big_t,
                  int32_t ref, int32_t err);

/* A neuron whose causal E_i are all below 1/32 (too coarse): E relative to its own latest
 * causal input, and back afterwards. */
FS_EXT static int column_refilled(const fs_layer *ly, const int32_t *w, int32_t *grad,
                                  int32_t big_t, int32_t ref, int32_t err)
{
    int32_t own = latest_before(ly->t_in, ly->n_in, big_t);
    if (own == INT32_MIN)
        return 0;
    fill_exp(ly, own);
    int dropped = column(ly, w, grad, big_t, own, err);
    fill_exp(ly, ref);
    return dropped;
}

/* One output neuron firing at T (column w, grad: its first entry, may be NULL): the causal sums
 * S0 = sum w_i E_i and D = sum w_i E_i d_i, R, the guard, then per causal input
 *   dL/dw_i = v_i = -E_i l_i R = E_i a + E_i d_i b        (a = -L R, b = -R, scaled)
 *   dL/dt_i += -w_i E_i (l_i - 1) R = w_i (v_i + E_i R)
 * with 32-bit multipliers (errors below 3 LSB of Q8.24). Returns 1 if the guard dropped it. */
__attribute__((noinline)) static int column(const fs_layer *ly, const int32_t *w,
                                            int32_t *grad, int32_t big_t, int32_t ref,
                                            int32_t err)
{
    const int32_t *t_in = ly->t_in;
    int n_in = ly->n_in, he = ly->he;
    int64_t s0 = 0, dsum = 0;
    uint32_t e_or = 0;
    const int32_t *wp = w;
#pragma clang loop unroll(disable)
    for (int i = 0; i < n_in; i++, wp += ly->w_stride) {
        if (t_in[i] > big_t)
            continue;
        int32_t wi = *wp, e = scratch_e[i];
        s0 += (int64_t)wi * e;
        dsum += (int64_t)wi * scratch_ed[i];
        e_or |= (uint32_t)e;
    }
    if (e_or < (E_FAST >> he))
        return column_refilled(ly, w, grad, big_t, ref, err);
    int64_t lag64 = (int64_t)big_t - ref; /* L, >= -3.5 (E_FAST) */
    int32_t lag = lag64 > LAG_FAST ? LAG_FAST : (int32_t)lag64;
    fs_real r = solve(ly, s0, dsum, lag, err);
    if (r.m == 0)
        return 0;
    /* b = -R 2^25, c = R 2^26, a = -L R 2^26 (multipliers of Q.31 E d, Q.30 E) */
    int sh = -(r.e + 25);
    int64_t a64 = sh > 47 ? 0 : -(((int64_t)lag * r.m) >> (sh + 15));
    if (sh < 2 || a64 >= (1 << 30) || a64 <= -(1 << 30))
        return column_wide(ly, w, grad, big_t, r);
    int32_t a = (int32_t)a64, b = -round_shift(r.m, sh), c = round_shift(r.m, sh - 1);
    int dropped = 0;
    if (ly->max_dw > 0) {
        /* E l <= max(L, 1), so |v| <= max(L, 1) |b| 2^-25 (+ rounding): check exactly only
         * when this bound exceeds the guard */
        int32_t l_max = lag > 65536 ? lag : 65536;
        uint32_t ub = b < 0 ? -(uint32_t)b : (uint32_t)b;
        if ((int64_t)(((uint64_t)ub * (uint32_t)l_max) >> 17) + 4 > ly->max_dw) {
            int32_t largest = 0;
            for (int i = 0; i < n_in; i++) {
                if (t_in[i] > big_t)
                    continue;
                int32_t v = fs_mulhw(scratch_e[i] << he, a) + fs_mulhw(scratch_ed[i] << he, b);
                v = v < 0 ? -v : v;
                largest = v > largest ? v : largest;
            }
            dropped = largest > ly->max_dw;
        }
    }
    int32_t *err_in = ly->err_in, unused;
    int write = grad && !dropped, w_stride = ly->w_stride, g_stride = ly->g_stride;
    if (!write && !err_in)
        return dropped;
    if (!write) { /* no arithmetic on a NULL grad */
        grad = &unused;
        g_stride = 0;
    }
#pragma clang loop unroll(disable)
    for (int i = 0; i < n_in; i++, w += w_stride, grad += g_stride) {
        if (t_in[i] > big_t)
            continue;
        int32_t e = scratch_e[i] << he;
        int32_t v = fs_mulhw(e, a) + fs_mulhw(scratch_ed[i] << he, b);
        if (write)
            *grad = fs_add_sat(*grad, v);
        if (err_in) {
            /* w (v + E R) in Q.48, rounded to Q8.24; saturated unless bits 55..63 agree */
            int64_t p = (int64_t)*w * (v + fs_mulhw(e, c)) + (1 << 23);
            int32_t hi = (int32_t)(p >> 32), dt = (int32_t)(p >> 24);
            if (hi >> 23 != dt >> 31)
                dt = hi < 0 ? INT32_MIN : INT32_MAX;
            err_in[i] = fs_add_sat(err_in[i], dt);
        }
    }
    return dropped;
}

/* Compiled for speed (the per-neuron loop); the loops over the inputs stay rolled. */
int fs_layer_backward(const int32_t *t_in, int n_in, const int32_t *t_out, int n_out,
                      const int32_t *w, int w_stride, const int32_t *err_out, int32_t c_q16,
                      int32_t max_dw_q24, int32_t *grad, int g_stride, int32_t *err_in)
{
    if (n_in > FS_MAX_IN)
        return -1;
    if (err_in)
#pragma clang loop unroll(disable)
        for (int i = 0; i < n_in; i++)
            err_in[i] = 0;
    if (c_q16 <= 0) /* log(c / a1) undefined: no valid crossing anywhere */
        return 0;
    /* the reference: the latest input that is causal for some output neuron we need */
    int32_t t_last = INT32_MIN;
#pragma clang loop unroll(disable)
    for (int k = 0; k < n_out; k++)
        if (t_out[k] != FS_NEVER && err_out[k] != 0 && t_out[k] > t_last)
            t_last = t_out[k];
    int32_t t_ref = latest_before(t_in, n_in, t_last);
    if (t_ref == INT32_MIN)
        return 0;
    int zc = __builtin_clz((uint32_t)c_q16);
    fs_layer ly = {t_in, n_in, w_stride, g_stride, n_in <= 4 ? 0 : 30 - __builtin_clz(n_in - 1),
                   zc, (uint32_t)c_q16 << zc, c_q16, max_dw_q24, err_in};
    fill_exp(&ly, t_ref);
    int drops = 0;
#pragma clang loop unroll(disable)
    for (int k = 0; k < n_out; k++)
        if (t_out[k] != FS_NEVER && err_out[k] != 0)
            drops += column(&ly, w + k, grad ? grad + k : grad, t_out[k], t_ref, err_out[k]);
    return drops;
}

FS_EXT int32_t fs_loss(const int32_t *t, int n, int label, int32_t xi_q16, int32_t alpha_q16,
                int32_t beta_q16, int32_t *err)
{
    for (int j = 0; j < n; j++)
        err[j] = 0;
    if (label < 0 || label >= n || t[label] == FS_NEVER)
        return FS_SILENT_LOSS_Q16;
    int32_t t_min = t[label];
    for (int j = 0; j < n; j++)
        if (t[j] < t_min)
            t_min = t[j];
    /* softmax numerators e^-((T_j - T_min) / xi) kept in err (Q.30) until the end */
    int64_t sum = 0;
    for (int j = 0; j < n; j++) {
        if (t[j] == FS_NEVER)
            continue;
        err[j] = (int32_t)fs_exp_neg((uint64_t)fs_div_q30((int64_t)t[j] - t_min, xi_q16));
        sum += err[j];
    }
    int64_t reg_arg = fs_div_q30(t[label], beta_q16);
    fs_real alpha_reg = fs_real_mul(fs_real_from(alpha_q16, 16),
                                    fs_real_from(fs_exp_q30(reg_arg), 30));
    int64_t loss = fs_div_q30((int64_t)t[label] - t_min, xi_q16) + fs_log_q30((uint64_t)sum, 30)
                   + fs_real_to_fixed(alpha_reg, 30);
    fs_real sum_xi = fs_real_mul(fs_real_from(sum, 30), fs_real_from(xi_q16, 16));
    fs_real xi = fs_real_from(xi_q16, 16);
    for (int j = 0; j < n; j++) {
        int64_t g = -fs_real_to_fixed(fs_real_div(fs_real_from(err[j], 30), sum_xi), 24);
        if (j == label)
            g += fs_real_to_fixed(fs_real_div(fs_real_from(1, 0), xi), 24)
                 + fs_real_to_fixed(fs_real_div(alpha_reg, fs_real_from(beta_q16, 16)), 24);
        err[j] = fs_sat32(g);
    }
    return fs_shift_sat(loss, -14);
}

FS_EXT int fs_prediction(const int32_t *t, int n)
{
    int best = -1;
    for (int j = 0; j < n; j++)
        if (t[j] != FS_NEVER && (best < 0 || t[j] < t[best]))
            best = j;
    return best;
}
