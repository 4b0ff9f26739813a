/* See spiketime.h. The acceptance test of a prefix (a candidate causal set) follows
 * _accepting_prefixes in spiketime.py: the prefix potential is unimodal, so it crosses inside
 * its window [t_k, t_{k+1}) iff its peak reaches c, it is below c (up to a rounding tolerance)
 * at t_k with the peak ahead, and at t_{k+1} it is above c or past its peak. */
#include <math.h>
#include <stdlib.h>
#include "spiketime.h"

#define WINDOW_TOL 1e-9 /* as _WINDOW_TOL */

/* Per-sample quantities of the sorted inputs, shared by every neuron of the layer. */
typedef struct {
    double t;     /* input time */
    double e1;    /* e^t, 0 for a silent input */
    double x;     /* ratio 1: t e^t (0 if silent); ratio 2: e^{t/2} */
    double decay; /* ratio 1: e^{-t}; ratio 2: e^{-t/2} */
} input;

/* One prefix (candidate causal set) of one neuron: its running sums and the tests on them.
 * The tests without an exponential come first; `reaches` (one exp) only for a prefix that
 * passed them, which leaves the accepted set unchanged. */
typedef struct {
    double a1, second; /* sum w e^t and (ratio 1) sum w t e^t or (ratio 2) sum w e^{t/2} */
    double mean_time;  /* ratio 1: b / a1, the inputs' time weighted by w e^t */
    double peak;       /* ratio 1: time of the potential's peak, mean_time + 1 */
    double exp_peak;   /* ratio 1: e^peak, once `reaches` computed it */
    double v_start;    /* prefix potential at its last input */
    int before;        /* its last input lies before (or at) its peak */
} prefix;

static void evaluate(prefix *p, const input *in, int32_t ratio)
{
    if (ratio == 1) {
        p->mean_time = p->second / p->a1;
        p->peak = p->mean_time + 1.0;
        p->v_start = in->decay * (p->a1 * in->t - p->second);
        p->before = in->t <= p->peak;
    } else {
        double y = in->decay;
        p->v_start = y * (p->second - p->a1 * y);
        p->before = 2.0 * p->a1 * y >= p->second;
    }
}

/* Whether the prefix's peak reaches c (ratio 1: keeps e^peak for the crossing). */
static int reaches(prefix *p, double c, int32_t ratio)
{
    if (ratio == 1) {
        if (!(p->a1 > 0.0)) {
            return 0;
        }
        p->exp_peak = exp(p->peak);
        return p->a1 >= c * p->exp_peak;
    }
    return (p->a1 > 0.0) && (p->second > 0.0) && (p->second * p->second >= 4.0 * p->a1 * c);
}

/* Whether the prefix's next input comes after its peak. */
static int next_after_peak(const prefix *p, const input *next, int32_t ratio)
{
    if (ratio == 1) {
        return next->t >= p->peak;
    }
    return 2.0 * p->a1 * next->decay <= p->second;
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

/* The accepted prefix's upward threshold crossing (spiketime.crossing_time_ratio1/2; for ratio
 * 1, z = -(c/a1) e^{b/a1} from the e^peak that `reaches` computed, peak = b/a1 + 1). */
static double crossing(const prefix *p, double c, int32_t ratio)
{
    if (ratio == 1) {
        double z = -(c / p->a1) * (p->exp_peak / 2.718281828459045);
        double lo = -exp(-1.0);
        return p->mean_time - lambertw0(z > lo ? z : lo);
    }
    double disc = p->second * p->second - 4.0 * p->a1 * c;
    if (!(p->a1 > 0.0 && p->second > 0.0 && disc >= 0.0)) {
        return INFINITY;
    }
    return 2.0 * (log(2.0 * p->a1) - log(p->second + sqrt(disc)));
}

void bss2_first_spikes(const double *times, const int64_t *order, int64_t batch, int64_t n_in,
                       const double *weights, int64_t n_out, double c, int32_t ratio,
                       double *first, double *last)
{
    input *in = (input *)malloc(sizeof(input) * (size_t)n_in);
    if (!in) {
        for (int64_t i = 0; i < batch * n_out; ++i) {
            first[i] = last[i] = NAN;
        }
        return;
    }
    const double tol = c * WINDOW_TOL;
    for (int64_t b = 0; b < batch; ++b) {
        const int64_t *ord = order + b * n_in;
        for (int64_t k = 0; k < n_in; ++k) {
            double t = times[b * n_in + ord[k]];
            int finite = isfinite(t);
            in[k].t = t;
            in[k].e1 = exp(finite ? t : -INFINITY);
            in[k].x = (ratio == 1) ? (finite ? t : 0.0) * in[k].e1 : sqrt(in[k].e1);
            in[k].decay = (ratio == 1) ? exp(-t) : exp(-0.5 * t);
        }
        for (int64_t j = 0; j < n_out; ++j) {
            int64_t at = b * n_out + j;
            first[at] = last[at] = INFINITY;
            prefix cur = {0}, nxt = {0};
            const double *wcol = weights + j;
            double w0 = wcol[ord[0] * n_out];
            cur.a1 = w0 * in[0].e1;
            cur.second = w0 * in[0].x;
            evaluate(&cur, &in[0], ratio);
            for (int64_t k = 0; k < n_in; ++k) {
                double v_end = 0.0;
                int after = 1;
                if (k + 1 < n_in) {
                    double w = wcol[ord[k + 1] * n_out];
                    nxt.a1 = cur.a1 + w * in[k + 1].e1;
                    nxt.second = cur.second + w * in[k + 1].x;
                    evaluate(&nxt, &in[k + 1], ratio);
                    v_end = nxt.v_start;
                    after = next_after_peak(&cur, &in[k + 1], ratio);
                }
                if (cur.before && cur.v_start <= c + tol && (after || v_end >= c)
                    && reaches(&cur, c, ratio)) {
                    first[at] = crossing(&cur, c, ratio);
                    last[at] = in[k].t;
                    break;
                }
                cur = nxt;
            }
        }
    }
    free(in);
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
