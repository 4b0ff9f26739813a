/* Spike-time gradients, loss and prediction in fixed point (interface and formats: fsgrad.h,
 * fixed.h); the maths follows host/learning/gradients.py for tau_m = tau_s.
 *
 * For output k firing at T with causal inputs C = {i: t_i <= T} and lags l_i = T - t_i, the
 * float reference's a1, b enter only through P = a1 e^-T = sum w_i e^-l_i and
 * Q = sum w_i l_i e^-l_i (the membrane at T): log_mz = log(c / P) - Q / P, x = -W0(z) solves
 * x e^-x = (c / P) e^(-Q / P), and
 *   dT/dw_i = -e^-l_i l_i / (P (1 + W)),   dT/dt_i = -w_i e^-l_i (l_i - 1) / (P (1 + W)).
 * Exponentials are factorised: E_i = e^-(t_ref - t_i) once per input (t_ref: the latest input
 * that is causal for some output neuron), so e^-l_i = E_i e^-L with L = T - t_ref, and
 *   P = S0 e^-L, Q = X e^-L,  S0 = sum w_i E_i,  X = sum w_i E_i l_i,
 *   dL/dw_ik = -E_i l_i R,   dL/dt_i += -w_ik E_i (l_i - 1) R,   R = err_k / (S0 (1 + W)).
 * Per output neuron that leaves one exponential (e^L, for y0 = c / P) and one division: the
 * measured-time guess x0 = Q / P is exact when T is the model's crossing, and one Halley step
 * from it needs no exponential (see halley). Neurons it does not settle take the general path
 * (logarithm, series starts and Newton, as before), and a neuron whose causal inputs all lie
 * more than 3.4 tau_s before t_ref (E_i too coarse) gets E refilled relative to its own
 * latest causal input.
 *
 * Measured on the emulated PPU (tests/ppu/test_fixed_gradients.py, driver built with -O2; the
 * functions outside the per-synapse loops are compiled for size, FS_COLD):
 *   fs_layer_backward 5 x 120 (chip input layer): median 202 k cycles (was 563 k), max 241 k
 *   fs_layer_backward 120 x 3 (label layer):      median  37 k cycles (was  98 k), max  60 k
 *   fs_loss, 3 labels:                            median   4 k cycles
 * Per firing output neuron ~1.1 k cycles (halley ~250 with its 5 saturating shifts ~240, one
 * division ~150, e^L ~100, call and setup), per causal synapse ~45 cycles in causal_sums and
 * ~110 in the gradient loop (5 x 120 profile). Code ~10 KiB at -O2 (the general path, ~2.3 KiB,
 * is cold); stack: FS_MAX_IN words + ~250 bytes.
 * Accuracy over 1050 random layers: worst |dL/dw| error 1.4e-3 (ill-conditioned neurons close
 * to 1 + W = 0), worst relative error 2.0e-4 for entries above 1e-3; loss within 1.6e-4.
 */
#include "fsgrad.h"

/* code size matters more than speed outside the per-synapse loops (16 KiB SRAM in all) */
#define FS_COLD __attribute__((minsize, noinline))

#define ONE FS_Q30_ONE
#define LAG_MAX ((64 << 16) - 1)          /* lags saturate just below 64 tau_s */
#define INV_E_Q30 INT64_C(395007542)      /* 1 / e */
#define GAP_SERIES INT64_C(263066746)     /* 1 - e|z| below 0.245 (p < 0.7): branch series */
#define P_EXACT INT64_C(21474836)         /* p below 0.02: the series alone is exact */
#define NEWTON_MAX 12
#define NEWTON_DONE 1024                  /* stop after a step below 1e-6 (Q.30) */
#define E_FAST (1u << 25)                 /* causal E_i all below 1/32: refill E */
#define HALLEY_OK 32                      /* settled once |h| <= (1 + W) / 32 */
#define HALLEY_STEPS 3                    /* exponential steps before the general path */

static inline int64_t mul30(int64_t a, int64_t b)
{
    return (a * b + (ONE >> 1)) >> 30;
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

/* E[i] = e^-(ref - t_i) (Q.30) for inputs at or before ref, else 0 (also below e^-22) */
FS_COLD static void fill_exp(int32_t *e, const int32_t *t_in, int n_in, int32_t ref)
{
    for (int i = 0; i < n_in; i++) {
        int32_t t = t_in[i];
        e[i] = t <= ref ? (int32_t)fs_exp_neg((uint64_t)((uint32_t)ref - (uint32_t)t) << 14) : 0;
    }
}

/* E_i l_i in Q.25 for l_i = T - t_i (t_i <= T, saturated at LAG_MAX) */
static inline uint32_t lag_weight(uint32_t e, int32_t big_t, int32_t t)
{
    uint32_t l = (uint32_t)big_t - (uint32_t)t;
    if (l > LAG_MAX)
        l = LAG_MAX;
    return fs_mulhwu(e << 1, l << 10);
}

/* v * 2^sh rounded and saturated, for |v| < 2^30 */
static inline int32_t scale32(int32_t v, int sh)
{
    if (sh < 0)
        return sh < -31 ? 0 : (v + (int32_t)(1u << (-sh - 1))) >> -sh;
    if (sh > 30 || v > (INT32_MAX >> sh) || v < (INT32_MIN >> sh))
        return v == 0 ? 0 : v > 0 ? INT32_MAX : INT32_MIN;
    return v << sh;
}

/* v * 2^sh rounded and saturated to int32 (the common right shifts inline) */
static inline int32_t scale64(int64_t v, int sh)
{
    if (sh < 0 && sh > -63)
        return fs_sat32((v + ((int64_t)1 << (-sh - 1))) >> -sh);
    return fs_shift_sat(v, sh);
}

/* The causal sums of one output neuron over the inputs t_i <= T: s0 = sum w_i E_i (Q.48),
 * x = sum w_i E_i l_i (Q.42), the OR of the causal E_i (its top bit is the largest one's) and
 * the largest E_i l_i (Q.25). Shifts keep 128 inputs of any Q8.24 weight from overflowing. */
typedef struct {
    int64_t s0, x;
    uint32_t e_or, el_max;
} fs_sums;

__attribute__((noinline)) static fs_sums causal_sums(const int32_t *t_in, const int32_t *e, int n_in, const int32_t *w,
                           int w_stride, int32_t big_t)
{
    fs_sums s = {0, 0, 0, 0};
    for (int i = 0; i < n_in; i++, w += w_stride) {
        int32_t t = t_in[i];
        if (t > big_t)
            continue;
        uint32_t ei = (uint32_t)e[i], el = lag_weight(ei, big_t, t);
        s.s0 += ((int64_t)*w * (int32_t)ei) >> 6;
        s.x += ((int64_t)*w * (int32_t)el) >> 7;
        s.e_or |= ei;
        if (el > s.el_max)
            s.el_max = el;
    }
    return s;
}

/* Fast path, no logarithm. With S = S0, X = x0 S0, Y = y0 S0 normalised so that S lies in
 * [2^28, 2^29), x = -W solves phi(x) = x - y0 e^(x - x0) = 0, y0 = c / P (= kappa e^x0).
 * At x0 every derivative of phi is known without an exponential (phi' = 1 - y0, higher ones
 * -y0), so the Halley step h = -2 g s' / (2 s'^2 + g y0) (g = x0 - y0, s' = 1 - y0) is
 * rational: exact when T is the model's crossing (g = 0), and its error, ~h^3 / (4 (1 + W)^3)
 * relative to 1 + W, is below 1e-5 once |h| <= (1 - x) / HALLEY_OK. Otherwise the step is
 * taken (x += h, y *= e^h) and repeated. Returns R = err / (S0 (1 + W)) (m = 0: not settled,
 * take the general path). */
FS_COLD static fs_real halley(int64_t s0, int64_t x, int32_t lag_ref, int32_t c_q16, int32_t err)
{
    fs_real none = {0, 0};
    if (x <= 0 || x >= (s0 >> 6)) /* x0 = X / S0 outside (0, 1) */
        return none;
    int k = 64 - __builtin_clzll((uint64_t)s0) - 29;
    int32_t s = fs_shift_sat(s0, -k), big_x = fs_shift_sat(x, 6 - k);
    /* Y = c e^L 2^(48 - k) in S's units (S0 is Q.48), with e^L = m 2^j */
    int j;
    int64_t cm = (int64_t)c_q16 * fs_exp_split((int64_t)lag_ref << 14, &j);
    int32_t y = fs_shift_sat(cm, 2 + j - k);
    if (big_x >= s || y >= s)
        return none;
    int32_t big_y = y;
    for (int it = 0;; it++) {
        int32_t g = big_x - big_y, slope = s - big_y; /* S g, S s' */
        int64_t d = 2 * (int64_t)slope * slope + (int64_t)g * big_y;
        if (d <= 0)
            return none;
        /* h = -nn / dn, both scaled so that dn lies in [2^29, 2^30) (keeps small h exact) */
        int sh = 34 - __builtin_clzll((uint64_t)d);
        int32_t dn = fs_shift_sat(d, -sh), nn = fs_shift_sat(2 * (int64_t)g * slope, -sh);
        if (nn == INT32_MAX || nn == INT32_MIN)
            return none;
        int64_t a = (int64_t)(s - big_x) * dn, b = (int64_t)nn * s;
        if (HALLEY_OK * (b < 0 ? -b : b) <= a) {
            /* S (1 + W) = (a + b) / dn and S0 = S 2^(k - 48) */
            fs_real r = fs_real_div(fs_real_from((int64_t)err * dn, 0), fs_real_from(a + b, 0));
            r.e += 24 - k;
            return r;
        }
        if (it == HALLEY_STEPS)
            return none;
        int64_t h = fs_div_q30(-nn, dn);
        if (h <= -ONE / 2 || h >= ONE / 2)
            return none;
        big_x += (int32_t)((h * s) >> 30);
        big_y = (int32_t)(((int64_t)big_y * fs_exp_q30(h)) >> 30);
        if (big_x <= 0 || big_x >= s || big_y >= s)
            return none;
    }
}

/* General path (x0 outside (0, 1), far from the crossing or near the branch point):
 * log_mz + 1 = log(c / S0) + L - x0 + 1, then one_plus_w. Returns R as halley (m = 0: no
 * valid crossing). */
FS_EXT static fs_real general(int64_t s0, int64_t x, int32_t lag_ref, int32_t c_q16,
                               int32_t err)
{
    fs_real none = {0, 0};
    int64_t m = fs_real_to_fixed(fs_real_div(fs_real_from(x, 42), fs_real_from(s0, 48)), 30);
    int64_t log_mz_plus_1 = fs_log_q30((uint64_t)c_q16, 16) - fs_log_q30((uint64_t)s0, 48)
                            + ((int64_t)lag_ref << 14) - m + ONE;
    if (log_mz_plus_1 > 0)
        return none;
    int64_t s = one_plus_w(fs_exp_neg((uint64_t)-log_mz_plus_1), m);
    if (s <= 0)
        return none;
    return fs_real_div(fs_real_from(err, 24),
                       fs_real_mul(fs_real_from(s0, 48), fs_real_from(s, 30)));
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

/* One output neuron (column w, grad: its first entry; grad may be NULL): R, the guard, then
 * the gradient column and the input errors. Returns 1 if the guard dropped the column. */
__attribute__((noinline)) static int neuron_backward(const int32_t *t_in, const int32_t *e, int n_in, const int32_t *w,
                           int w_stride, int32_t big_t, int32_t ref, const fs_sums *s,
                           int32_t err, int32_t c_q16, int32_t max_dw_q24, int32_t *grad,
                           int g_stride, int32_t *err_in)
{
    if (s->s0 <= 0)
        return 0;
    int64_t lag = (int64_t)big_t - ref; /* L, >= -3.5 (E_FAST) */
    int32_t lag_ref = lag > LAG_MAX ? LAG_MAX : (int32_t)lag;
    fs_real r = halley(s->s0, s->x, lag_ref, c_q16, err);
    if (r.m == 0)
        r = general(s->s0, s->x, lag_ref, c_q16, err);
    if (r.m == 0)
        return 0;
    /* dL/dw = -E l R: v = (E l 2^es) R.m 2^-32 (Q.25 + es), scaled by 2^sh_w to Q8.24 */
    int es = __builtin_clz(s->el_max | 1) - 1;
    int sh_w = r.e + 31 - es;
    int32_t largest = scale32(fs_mulhw((int32_t)(s->el_max << es), r.m), sh_w);
    int dropped = max_dw_q24 > 0 && (largest < 0 ? -(int64_t)largest : largest) > max_dw_q24;
    int write_grad = grad && !dropped;
    for (int i = 0; i < n_in; i++, w += w_stride, grad += g_stride) {
        int32_t t = t_in[i];
        uint32_t ei = (uint32_t)e[i];
        if (t > big_t || ei == 0)
            continue;
        uint32_t el = lag_weight(ei, big_t, t);
        if (write_grad)
            *grad = fs_add_sat(*grad, -scale32(fs_mulhw((int32_t)(el << es), r.m), sh_w));
        if (err_in) {
            /* dL/dt_i: -w (E l - E) R with (w R.m) 2^-32 (E l - E) (Q.25) scaled by 2^(r.e + 7) */
            int32_t u = (int32_t)el - (int32_t)(ei >> 5);
            int32_t dt = scale64(-(int64_t)fs_mulhw(*w, r.m) * u, r.e + 7);
            err_in[i] = fs_add_sat(err_in[i], dt);
        }
    }
    return dropped;
}

FS_COLD int fs_layer_backward(const int32_t *t_in, int n_in, const int32_t *t_out, int n_out,
                              const int32_t *w, int w_stride, const int32_t *err_out,
                              int32_t c_q16, int32_t max_dw_q24,
                              int32_t *grad, int g_stride, int32_t *err_in)
{
    int32_t e[FS_MAX_IN]; /* E_i = e^-(ref - t_i) (Q.30), 0 after ref */
    if (n_in > FS_MAX_IN)
        return -1;
    if (err_in)
        for (int i = 0; i < n_in; i++)
            err_in[i] = 0;
    if (c_q16 <= 0) /* log(c / a1) undefined: no valid crossing anywhere */
        return 0;
    /* the reference: the latest input that is causal for some output neuron we need */
    int32_t t_last = INT32_MIN;
    for (int k = 0; k < n_out; k++)
        if (t_out[k] != FS_NEVER && err_out[k] != 0 && t_out[k] > t_last)
            t_last = t_out[k];
    int32_t t_ref = latest_before(t_in, n_in, t_last);
    if (t_ref == INT32_MIN)
        return 0;
    fill_exp(e, t_in, n_in, t_ref);
    int drops = 0;
    for (int k = 0; k < n_out; k++) {
        int32_t big_t = t_out[k];
        if (big_t == FS_NEVER || err_out[k] == 0)
            continue;
        int32_t ref = t_ref;
        fs_sums s = causal_sums(t_in, e, n_in, w + k, w_stride, big_t);
        if (s.e_or < E_FAST) {
            /* every causal E_i below 1/32 (or none): refill relative to this neuron's latest
             * causal input, and back afterwards */
            ref = latest_before(t_in, n_in, big_t);
            if (ref == INT32_MIN)
                continue;
            fill_exp(e, t_in, n_in, ref);
            s = causal_sums(t_in, e, n_in, w + k, w_stride, big_t);
        }
        drops += neuron_backward(t_in, e, n_in, w + k, w_stride, big_t, ref, &s, err_out[k],
                                 c_q16, max_dw_q24, grad ? grad + k : grad, g_stride, err_in);
        if (ref != t_ref)
            fill_exp(e, t_in, n_in, t_ref);
    }
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
