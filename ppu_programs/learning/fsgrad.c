/* Spike-time gradients, loss and prediction in fixed point (interface and formats: fsgrad.h,
 * fixed.h); the maths follows host/learning/gradients.py for tau_m = tau_s.
 *
 * For output k firing at T with causal inputs C = {i: t_i <= T}, everything is computed with
 * lags l_i = T - t_i (>= 0), normalised by the latest causal input t_max so that every
 * exponential lies in (0, 1]:  e_i = e^-(t_max - t_i),  A = sum w_i e_i,  B = sum w_i e_i l_i.
 * With l_min = T - t_max the float reference's quantities are a1 = A e^(T - l_min) (shifted
 * origin), b / a1 = T - B / A and log_mz = log(c / A) + l_min - B / A. Then x = -W0(z) in (0, 1]
 * solves x e^-x = e^log_mz; Newton on phi(x) = x - kappa e^x (kappa = e^log_mz) starts from the
 * measured-time guess x = B / A (exact when T is the model's crossing), from the branch-point
 * series of W0 near 1 + W = 0, or from the Taylor series of W0 at 0 otherwise.
 *   dT/dw_i = -e_i l_i / (A (1 + W)),   dT/dt_i = -w_i e_i (l_i - 1) / (A (1 + W)).
 *
 * Measured on the emulated PPU (tests/ppu/test_fixed_gradients.py, driver built with -O2; the
 * functions outside the per-synapse loops are compiled for size, FS_COLD):
 *   fs_layer_backward 5 x 120 (chip input layer): median 563 k cycles (2.3 ms), max 670 k
 *   fs_layer_backward 120 x 3 (label layer):      median  98 k cycles (0.4 ms), max 167 k
 *   fs_loss, 3 labels:                            median   4 k cycles
 * Cost per firing output neuron ~4.5 k cycles (log, divisions, 1-3 Newton steps), per causal
 * synapse ~150 cycles (one exponential). Code ~8.3 KiB at -O2; stack: FS_MAX_IN words + ~200 bytes.
 * Accuracy over 1050 random layers: worst |dL/dw| error 2.7e-4 (ill-conditioned neurons close
 * to 1 + W = 0), worst relative error 8.5e-5 for entries above 1e-3; loss within 6e-5.
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

/* T - t (t <= T) in Q16.16, saturated at LAG_MAX */
static inline int32_t lag(int32_t later, int32_t earlier)
{
    int64_t d = (int64_t)later - earlier;
    return d > LAG_MAX ? LAG_MAX : (int32_t)d;
}

static inline int64_t mul30(int64_t a, int64_t b)
{
    return (a * b + (ONE >> 1)) >> 30;
}

/* 1 + W0 near the branch point from p = sqrt(2 (1 + e z)): p - p^2/3 + 11 p^3/72 - 43 p^4/540 */
FS_COLD static int64_t branch_series(int64_t p)
{
    int64_t s = -85501664;                 /* -43/540 */
    s = 164043890 + mul30(s, p);           /* 11/72 */
    s = -357913941 + mul30(s, p);          /* -1/3 */
    s = ONE + mul30(s, p);
    return mul30(s, p);
}

/* -W0(-y) for small y: y + y^2 + 3/2 y^3 + 8/3 y^4 */
FS_COLD static int64_t small_series(int64_t y)
{
    int64_t s = 2863311531;                /* 8/3 */
    s = 1610612736 + mul30(s, y);          /* 3/2 */
    s = ONE + mul30(s, y);
    s = ONE + mul30(s, y);
    return mul30(s, y);
}

/* 1 + W0(z) in Q.30 for z = -kappa_e / e with kappa_e = e |z| in [0, 1] (Q.30); `guess` is the
 * measured-time estimate of -W0. Returns 0 at the branch point (or if Newton fails). */
FS_COLD static int64_t one_plus_w(int64_t kappa_e, int64_t guess)
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

int fs_layer_backward(const int32_t *t_in, int n_in, const int32_t *t_out, int n_out,
                      const int32_t *w, int w_stride, const int32_t *err_out,
                      int32_t c_q16, int32_t max_dw_q24,
                      int32_t *grad, int g_stride, int32_t *err_in)
{
    int32_t e[FS_MAX_IN]; /* e_i of the current output neuron (Q.30), 0 if not causal */
    if (n_in > FS_MAX_IN)
        return -1;
    if (err_in)
        for (int i = 0; i < n_in; i++)
            err_in[i] = 0;
    int64_t log_c = fs_log_q30((uint64_t)c_q16, 16);
    int drops = 0;
    for (int k = 0; k < n_out; k++) {
        int32_t big_t = t_out[k];
        if (big_t == FS_NEVER || err_out[k] == 0)
            continue;
        int32_t t_max = INT32_MIN;
        int any = 0;
        for (int i = 0; i < n_in; i++) {
            int32_t t = t_in[i];
            if (t != FS_NEVER && t <= big_t && t >= t_max) {
                t_max = t;
                any = 1;
            }
        }
        if (!any)
            continue;
        int64_t a = 0, b = 0; /* Q.38 */
        for (int i = 0; i < n_in; i++) {
            int32_t t = t_in[i];
            if (t == FS_NEVER || t > big_t) {
                e[i] = 0;
                continue;
            }
            int32_t ei = (int32_t)fs_exp_neg((uint64_t)lag(t_max, t) << 14);
            int32_t wi = w[i * w_stride + k];
            e[i] = ei;
            a += ((int64_t)wi * ei) >> 16;
            b += ((int64_t)wi * (((int64_t)ei * lag(big_t, t)) >> 21)) >> 11;
        }
        if (a <= 0)
            continue;
        int64_t m = fs_div_q30(b, a); /* b / a1 relative to T, negated: the guess for -W */
        int64_t log_mz_plus_1 = log_c - fs_log_q30((uint64_t)a, 38)
                                + ((int64_t)lag(big_t, t_max) << 14) - m + ONE;
        if (log_mz_plus_1 > 0)
            continue;
        int64_t s = one_plus_w(fs_exp_neg((uint64_t)-log_mz_plus_1), m);
        if (s <= 0)
            continue;
        /* r = err_k / (A (1 + W)): dL/dw_ik = -e_i l_i r, dL/dt_i += -w_ik e_i (l_i - 1) r */
        fs_real r = fs_real_div(fs_real_from(err_out[k], 24),
                                fs_real_mul(fs_real_from(a, 38), fs_real_from(s, 30)));
        int32_t largest = 0;
        for (int i = 0; i < n_in; i++) {
            if (e[i] == 0)
                continue;
            int32_t l = lag(big_t, t_in[i]);
            int64_t h = ((int64_t)e[i] * r.m) >> 30; /* e_i r, scaled 2^r.e */
            int32_t dw = fs_shift_sat(-h * l, r.e + 8);
            int32_t mag = dw < 0 ? (dw == INT32_MIN ? INT32_MAX : -dw) : dw;
            if (mag > largest)
                largest = mag;
            if (err_in) {
                int64_t hl = (h * (l - 65536)) >> 22; /* e_i (l_i - 1) r, scaled 2^(r.e + 6) */
                int32_t dt = fs_shift_sat(-(int64_t)w[i * w_stride + k] * hl, r.e + 6);
                err_in[i] = fs_add_sat(err_in[i], dt);
            }
        }
        if (max_dw_q24 > 0 && largest > max_dw_q24) {
            drops++;
            continue;
        }
        if (!grad)
            continue;
        for (int i = 0; i < n_in; i++) {
            if (e[i] == 0)
                continue;
            int64_t h = ((int64_t)e[i] * r.m) >> 30;
            int32_t dw = fs_shift_sat(-h * lag(big_t, t_in[i]), r.e + 8);
            grad[i * g_stride + k] = fs_add_sat(grad[i * g_stride + k], dw);
        }
    }
    return drops;
}

FS_COLD int32_t fs_loss(const int32_t *t, int n, int label, int32_t xi_q16, int32_t alpha_q16,
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

FS_COLD int fs_prediction(const int32_t *t, int n)
{
    int best = -1;
    for (int j = 0; j < n; j++)
        if (t[j] != FS_NEVER && (best < 0 || t[j] < t[best]))
            best = j;
    return best;
}
