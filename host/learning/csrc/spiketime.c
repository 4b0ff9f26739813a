/* See spiketime.h. The acceptance test of a prefix (a candidate causal set) follows
 * _accepting_prefixes in spiketime.py: the prefix potential is unimodal, so it crosses inside
 * its window [t_k, t_{k+1}) iff its peak reaches c, it is below c (up to a rounding tolerance)
 * at t_k with the peak ahead, and at t_{k+1} it is above c or past its peak. Only finite input
 * times are sorted and scanned: a prefix ending in a silent (or NaN) input is never accepted,
 * and such inputs add nothing to the sums. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "spiketime.h"

#define WINDOW_TOL 1e-9 /* as _WINDOW_TOL */
#define SORT_RUN 8      /* insertion-sorted run length of the merge sort */

/* Per-sample quantities of a sorted input, shared by every neuron of the layer. */
typedef struct {
    double t;     /* input time (finite) */
    double e1;    /* e^t */
    double x;     /* ratio 1: t e^t; ratio 2: e^{t/2} */
    double decay; /* ratio 1: e^{-t}; ratio 2: e^{-t/2} */
} input;

/* Stable ascending order of the n times t[idx[0..n)] (in place, idx as scratch-free merge
 * sort with tmp of n entries): equal times keep their index order, as numpy's stable argsort
 * (which the numpy reference uses) orders them. */
static void stable_order(const double *t, int64_t *idx, int64_t n, int64_t *tmp)
{
    for (int64_t lo = 0; lo < n; lo += SORT_RUN) {
        int64_t hi = (lo + SORT_RUN < n) ? lo + SORT_RUN : n;
        for (int64_t i = lo + 1; i < hi; ++i) {
            int64_t v = idx[i];
            double tv = t[v];
            int64_t j = i;
            for (; j > lo && tv < t[idx[j - 1]]; --j) {
                idx[j] = idx[j - 1];
            }
            idx[j] = v;
        }
    }
    int64_t *src = idx, *dst = tmp;
    for (int64_t width = SORT_RUN; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = (lo + width < n) ? lo + width : n;
            int64_t hi = (lo + 2 * width < n) ? lo + 2 * width : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) {
                dst[o++] = (t[src[b]] < t[src[a]]) ? src[b++] : src[a++];
            }
            while (a < mid) {
                dst[o++] = src[a++];
            }
            while (b < hi) {
                dst[o++] = src[b++];
            }
        }
        int64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != idx) {
        memcpy(idx, src, sizeof(int64_t) * (size_t)n);
    }
}

/* Fills the per-input quantities of sorted inputs up to index k (exponentials only for inputs
 * that some neuron's scan reaches). */
static void fill_inputs(input *in, int64_t *filled, int64_t k, const double *times,
                        const int64_t *idx, int32_t ratio)
{
    for (; *filled <= k; ++*filled) {
        input *p = &in[*filled];
        p->t = times[idx[*filled]];
        p->e1 = exp(p->t);
        p->x = (ratio == 1) ? p->t * p->e1 : sqrt(p->e1);
        p->decay = (ratio == 1) ? exp(-p->t) : exp(-0.5 * p->t);
    }
}

/* Potential of a prefix with sums a1, second at its last input `in` (its start value). */
static double potential_at(const input *in, double a1, double second, int32_t ratio)
{
    if (ratio == 1) {
        return in->decay * (a1 * in->t - second); /* v = e^{-t} (a1 t - b) */
    }
    return in->decay * (second - a1 * in->decay); /* y = e^{-t/2}: v = a2 y - a1 y^2 */
}

/* Real principal-branch Lambert W on [-1/e, 0] (mirrors lambertw.lambertw0). */
static double lambertw0(double z)
{
    double q = 2.0 * (2.718281828459045 * z + 1.0);
    double p = sqrt(q > 0.0 ? q : 0.0);
    double w;
    if (z < -0.25) {
        w = -1.0 + p * (1.0 + p * (-1.0 / 3.0 + p * (11.0 / 72.0 + p * (-43.0 / 540.0))));
    } else {
        w = z * (1.0 + z * (-1.0 + z * (1.5 + z * (-8.0 / 3.0))));
    }
    if (!(p > 1e-3)) {
        return w;
    }
    for (int i = 0; i < 2; ++i) { /* lambertw._HALLEY_STEPS */
        double ew = exp(w);
        double f = w * ew - z;
        double wp1 = w + 1.0;
        w = w - f / (ew * wp1 - (w + 2.0) * f / (2.0 * wp1));
    }
    return w;
}

/* Whether prefix k (sums a1, second) is accepted, and then its crossing in *t_cross. `v` is
 * its start potential, `v_end` the next prefix's start potential and `next` the next input
 * (NULL after the last finite one). The tests without an exponential come first; the peak's
 * exponential (ratio 1) only for a prefix that passed them, which leaves the accepted set
 * unchanged. */
static int accepted(const input *cur, const input *next, double a1, double second, double v,
                    double v_end, double c, double tol, int32_t ratio, double *t_cross)
{
    if (!(v <= c + tol)) {
        return 0;
    }
    if (ratio == 1) {
        double mean_time = second / a1; /* b / a1: the inputs' time weighted by w e^t */
        double peak = mean_time + 1.0;  /* the potential's peak */
        if (!(cur->t <= peak) || (next && !(next->t >= peak) && !(v_end >= c))) {
            return 0; /* the peak lies behind, or the window ends below c before the peak */
        }
        if (!(a1 > 0.0)) {
            return 0;
        }
        double exp_peak = exp(peak);
        if (!(a1 >= c * exp_peak)) {
            return 0; /* the peak a1 e^{-peak} stays below c */
        }
        /* z = -(c/a1) e^{b/a1} from the e^peak of the reach test (peak = b/a1 + 1) */
        double z = -(c / a1) * (exp_peak / 2.718281828459045);
        double lo = -exp(-1.0);
        *t_cross = mean_time - lambertw0(z > lo ? z : lo);
        return 1;
    }
    if (!(2.0 * a1 * cur->decay >= second)
        || (next && !(2.0 * a1 * next->decay <= second) && !(v_end >= c))) {
        return 0; /* the same tests with y = e^{-t/2}: the peak lies at y = a2 / (2 a1) */
    }
    if (!((a1 > 0.0) && (second > 0.0) && (second * second >= 4.0 * a1 * c))) {
        return 0; /* the peak a2^2 / (4 a1) stays below c */
    }
    double disc = second * second - 4.0 * a1 * c;
    *t_cross = (disc >= 0.0) ? 2.0 * (log(2.0 * a1) - log(second + sqrt(disc))) : INFINITY;
    return 1;
}

void bss2_first_spikes(const double *times, int64_t batch, int64_t n_in, const double *weights,
                       int64_t n_out, double c, int32_t ratio, double *first, double *last)
{
    input *in = (input *)malloc(sizeof(input) * (size_t)n_in);
    int64_t *idx = (int64_t *)malloc(sizeof(int64_t) * (size_t)(2 * n_in));
    if (!in || !idx) {
        free(in);
        free(idx);
        for (int64_t i = 0; i < batch * n_out; ++i) {
            first[i] = last[i] = NAN;
        }
        return;
    }
    const double tol = c * WINDOW_TOL;
    for (int64_t b = 0; b < batch; ++b) {
        const double *tb = times + b * n_in;
        int64_t n = 0; /* finite inputs, then sorted */
        for (int64_t i = 0; i < n_in; ++i) {
            if (isfinite(tb[i])) {
                idx[n++] = i;
            }
        }
        stable_order(tb, idx, n, idx + n_in);
        int64_t filled = 0;
        for (int64_t j = 0; j < n_out; ++j) {
            int64_t at = b * n_out + j;
            first[at] = last[at] = INFINITY;
            if (n == 0) {
                continue;
            }
            const double *wcol = weights + j;
            fill_inputs(in, &filled, 0, tb, idx, ratio);
            double w = wcol[idx[0] * n_out];
            double a1 = w * in[0].e1, second = w * in[0].x;
            double v = potential_at(&in[0], a1, second, ratio);
            for (int64_t k = 0; k < n; ++k) {
                const input *next = NULL;
                double a1_next = 0.0, second_next = 0.0, v_next = 0.0;
                if (k + 1 < n) {
                    fill_inputs(in, &filled, k + 1, tb, idx, ratio);
                    next = &in[k + 1];
                    w = wcol[idx[k + 1] * n_out];
                    a1_next = a1 + w * next->e1;
                    second_next = second + w * next->x;
                    v_next = potential_at(next, a1_next, second_next, ratio);
                }
                double t_cross;
                if (accepted(&in[k], next, a1, second, v, v_next, c, tol, ratio, &t_cross)) {
                    first[at] = t_cross;
                    last[at] = in[k].t;
                    break;
                }
                a1 = a1_next;
                second = second_next;
                v = v_next;
            }
        }
    }
    free(in);
    free(idx);
}

void bss2_layer_backward(const double *t, const double *big_t, const double *horizon,
                         const double *weights, const double *out_error, int64_t batch,
                         int64_t n_in, int64_t n_out, double c, double tau, int32_t ratio,
                         double max_dw_norm, double *grad, double *in_error)
{
    double *buf = (double *)malloc(sizeof(double) * (size_t)(5 * n_in));
    if (!buf) {
        for (int64_t i = 0; i < n_in * n_out; ++i) {
            grad[i] = NAN;
        }
        return;
    }
    double *t0 = buf, *e1 = buf + n_in, *e1c = e1 + n_in, *dw = e1c + n_in, *dt = dw + n_in;
    for (int64_t b = 0; b < batch; ++b) {
        const double *tb = t + b * n_in;
        double *ie = in_error + b * n_in;
        for (int64_t i = 0; i < n_in; ++i) {
            t0[i] = isfinite(tb[i]) ? tb[i] : 0.0;
            e1[i] = exp(t0[i]);
            ie[i] = 0.0;
        }
        for (int64_t j = 0; j < n_out; ++j) {
            double big = big_t[b * n_out + j], err = out_error[b * n_out + j];
            double hz = horizon[b * n_out + j];
            int fires = isfinite(big);
            double a1 = 0.0, second = 0.0;
            for (int64_t i = 0; i < n_in; ++i) {
                e1c[i] = (fires && tb[i] <= hz) ? e1[i] : 0.0;
                double we = weights[i * n_out + j] * e1c[i];
                a1 += we;
                second += (ratio == 1) ? we * t0[i] : weights[i * n_out + j] * sqrt(e1c[i]);
            }
            int valid = 0;
            double gain = 0.0, amp = 0.0, inv_s = 0.0;
            if (ratio == 1) {
                double log_mz = log(c / a1) + second / a1;
                if (a1 > 0.0 && log_mz <= -1.0 && fires) {
                    double one_plus_w = 1.0 + lambertw0(-exp(log_mz));
                    valid = one_plus_w > 0.0;
                    gain = valid ? 1.0 / (a1 * one_plus_w) : 0.0;
                }
            } else {
                double s = sqrt(second * second - 4.0 * a1 * c);
                valid = a1 > 0.0 && s > 0.0 && fires;
                if (valid) {
                    amp = (1.0 + c / s * exp(big / 2.0)) / a1;
                    inv_s = 1.0 / s;
                }
            }
            if (!valid && isfinite(err)) {
                continue; /* every entry is 0: nothing to add */
            }
            double big0 = fires ? big : 0.0, largest = 0.0;
            for (int64_t i = 0; i < n_in; ++i) {
                double w = weights[i * n_out + j];
                if (ratio == 1) {
                    double lag = big0 - t0[i];
                    double scaled = e1c[i] * gain;
                    dw[i] = -tau * scaled * lag;
                    dt[i] = -w * scaled * (lag - 1.0);
                } else {
                    double e2c = sqrt(e1c[i]);
                    double core = 2.0 * amp * e1c[i] - e2c * inv_s;
                    dw[i] = tau * (core - e2c * inv_s);
                    dt[i] = w * core;
                }
                dw[i] *= err;
                double mag = fabs(dw[i]);
                largest = (mag > largest) ? mag : largest;
                ie[i] += dt[i] * err;
            }
            if (largest > max_dw_norm) {
                continue; /* the paper's guard: this sample's gradient into j is dropped */
            }
            for (int64_t i = 0; i < n_in; ++i) {
                grad[i * n_out + j] += dw[i];
            }
        }
        for (int64_t i = 0; i < n_in; ++i) {
            ie[i] = isfinite(ie[i]) ? ie[i] : 0.0;
        }
    }
    free(buf);
}
