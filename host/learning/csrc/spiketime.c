/* See spiketime.h. The acceptance test of a prefix (a candidate causal set) follows
 * _accepting_prefixes in spiketime.py: the prefix potential is unimodal, so it crosses inside
 * its window [t_k, t_{k+1}) iff its peak reaches c, it is below c (up to a rounding tolerance)
 * at t_k with the peak ahead, and at t_{k+1} it is above c or past its peak. Only finite input
 * times are sorted and scanned: a prefix ending in a silent (or NaN) input is never accepted,
 * and such inputs add nothing to the sums. */
#include <math.h>
#include <stdlib.h>
#include "spiketime.h"

#define WINDOW_TOL 1e-9 /* as _WINDOW_TOL */

/* Per-sample quantities of a sorted input, shared by every neuron of the layer. */
typedef struct {
    double t;     /* input time (finite) */
    double e1;    /* e^t */
    double x;     /* ratio 1: t e^t; ratio 2: e^{t/2} */
    double decay; /* ratio 1: e^{-t} = 1 / e^t; ratio 2: e^{-t/2} = 1 / e^{t/2} */
    const double *row; /* its weights into the layer's neurons */
} input;

/* An input's time and its index (its row of the weights). */
typedef struct {
    double t;
    int64_t i;
} timed;

/* Stable ascending order by time of the n entries of a (equal times keep their order, as
 * numpy's stable argsort, which the numpy reference uses, orders them), into tmp (n entries);
 * returns a or tmp, whichever holds the result. A bucket sort: the times' range cut into n
 * equal buckets, entries distributed in their order (a bucket index never decreases with the
 * time, rounding included), then an insertion sort, which only has to order entries that share
 * a bucket. key: scratch of n entries, count: of n + 1. */
static timed *stable_sort(timed *a, int64_t n, timed *tmp, int64_t *key, int64_t *count)
{
    double lo = (n > 0) ? a[0].t : 0.0, hi = lo;
    for (int64_t i = 1; i < n; ++i) {
        lo = (a[i].t < lo) ? a[i].t : lo;
        hi = (a[i].t > hi) ? a[i].t : hi;
    }
    if (!(hi > lo)) {
        return a; /* fewer than two entries, or all at one time: already in order */
    }
    double scale = (double)n / (hi - lo);
    scale = isfinite(scale) ? scale : 0.0; /* a range too small to divide: one bucket */
    for (int64_t k = 0; k <= n; ++k) {
        count[k] = 0;
    }
    for (int64_t i = 0; i < n; ++i) {
        int64_t k = (int64_t)((a[i].t - lo) * scale);
        key[i] = (k < n) ? k : n - 1;
        ++count[key[i] + 1];
    }
    for (int64_t k = 0; k < n; ++k) {
        count[k + 1] += count[k];
    }
    for (int64_t i = 0; i < n; ++i) {
        tmp[count[key[i]]++] = a[i];
    }
    for (int64_t i = 1; i < n; ++i) {
        timed v = tmp[i];
        int64_t j = i;
        for (; j > 0 && v.t < tmp[j - 1].t; --j) {
            tmp[j] = tmp[j - 1];
        }
        tmp[j] = v;
    }
    return tmp;
}

/* A row of n times, its first n - n_bias from row and the rest from bias, in tau_syn units and
 * shifted so that its earliest time is 0, into out; returns the shift
 * (spiketime.shifted_scaled_times: the row's minimum, 0 unless that is finite, e.g. for a row
 * of silent inputs or one holding a NaN). */
static double shifted_scaled(const double *row, const double *bias, int64_t n, int64_t n_bias,
                             double tau, double *out)
{
    double shift = INFINITY;
    int nan = 0;
    for (int64_t i = 0; i < n; ++i) {
        out[i] = ((i < n - n_bias) ? row[i] : bias[i - (n - n_bias)]) / tau;
        nan |= isnan(out[i]);
        shift = (out[i] < shift) ? out[i] : shift;
    }
    shift = (nan || !isfinite(shift)) ? 0.0 : shift;
    for (int64_t i = 0; i < n; ++i) {
        out[i] -= shift;
    }
    return shift;
}

/* Fills the per-input quantities of the sorted inputs from `filled` up to index k (exponentials
 * only for inputs that some neuron's scan reaches); returns how many are filled. */
static int64_t fill_inputs(input *in, int64_t filled, int64_t k, const timed *sorted,
                           const double *weights, int64_t n_out, int32_t ratio)
{
    for (; filled <= k; ++filled) {
        input *p = &in[filled];
        p->t = sorted[filled].t;
        p->e1 = exp(p->t);
        p->x = (ratio == 1) ? p->t * p->e1 : sqrt(p->e1);
        p->decay = 1.0 / ((ratio == 1) ? p->e1 : p->x);
        p->row = weights + sorted[filled].i * n_out;
    }
    return filled;
}

/* Potential of a prefix with sums a1, second at its last input `in` (its start value). */
static double potential_at(const input *in, double a1, double second, int32_t ratio)
{
    if (ratio == 1) {
        return in->decay * (a1 * in->t - second); /* v = e^{-t} (a1 t - b) */
    }
    return in->decay * (second - a1 * in->decay); /* y = e^{-t/2}: v = a2 y - a1 y^2 */
}

/* Real principal-branch Lambert W on [-1/e, 0] (mirrors lambertw.lambertw0) of the m arguments
 * z into w, each step a loop over all of them, so that the exponentials and divisions of
 * different arguments overlap. p: scratch of m entries. */
static void lambertw0_many(const double *z, double *w, double *p, int64_t m)
{
    for (int64_t i = 0; i < m; ++i) {
        double q = 2.0 * (2.718281828459045 * z[i] + 1.0);
        p[i] = sqrt(q > 0.0 ? q : 0.0);
        double near = -1.0 + p[i] * (1.0 + p[i] * (-1.0 / 3.0 + p[i] * (11.0 / 72.0
                                                                          + p[i] * (-43.0 / 540.0))));
        double far = z[i] * (1.0 + z[i] * (-1.0 + z[i] * (1.5 + z[i] * (-8.0 / 3.0))));
        w[i] = (z[i] < -0.25) ? near : far;
    }
    for (int64_t i = 0; i < m; ++i) {
        if (!(p[i] > 1e-3)) {
            p[i] = -1.0; /* marks an argument whose series start is final */
        }
    }
    for (int step = 0; step < 2; ++step) { /* lambertw._HALLEY_STEPS */
        for (int64_t i = 0; i < m; ++i) {
            if (p[i] >= 0.0) {
                double ew = exp(w[i]);
                double f = w[i] * ew - z[i];
                double wp1 = w[i] + 1.0;
                w[i] = w[i] - f / (ew * wp1 - (w[i] + 2.0) * f / (2.0 * wp1));
            }
        }
    }
}

/* lambertw0_many of a single argument. */
static double lambertw0(double z)
{
    double w, p;
    lambertw0_many(&z, &w, &p, 1);
    return w;
}

/* Whether prefix k (sums a1, second) is accepted. `v` is its start potential, `v_end` the next
 * prefix's start potential and `next` the next input (NULL after the last finite one). The
 * tests without an exponential come first; the peak's exponential (ratio 1) only for a prefix
 * that passed them, which leaves the accepted set unchanged. An accepted prefix leaves what its
 * crossing needs in *u, *z: ratio 1 b/a1 and z = -(c/a1) e^{b/a1} (from the e^peak of the reach
 * test, peak = b/a1 + 1), ratio 2 a2. */
static int accepted(const input *cur, const input *next, double a1, double second, double v,
                    double v_end, double c, double tol, int32_t ratio, double *u, double *z)
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
        *u = mean_time;
        *z = -(c / a1) * (exp_peak / 2.718281828459045);
        return 1;
    }
    if (!(2.0 * a1 * cur->decay >= second)
        || (next && !(2.0 * a1 * next->decay <= second) && !(v_end >= c))) {
        return 0; /* the same tests with y = e^{-t/2}: the peak lies at y = a2 / (2 a1) */
    }
    if (!((a1 > 0.0) && (second > 0.0) && (second * second >= 4.0 * a1 * c))) {
        return 0; /* the peak a2^2 / (4 a1) stays below c */
    }
    *u = second;
    return 1;
}

/* The upward crossings (spiketime.crossing_time_ratio1/2) of a sample's m accepted prefixes,
 * neurons acc[0..m), from their a1 and what `accepted` left in u, z: into first, and their slope
 * factors (see spiketime.h) into slope. scratch: 3 m entries. */
static void crossings(const int64_t *acc, int64_t m, const double *a1, const double *u,
                      const double *z, double c, int32_t ratio, double *first, double *slope,
                      double *scratch)
{
    if (ratio == 1) {
        double *arg = scratch, *w = scratch + m, *p = scratch + 2 * m;
        double lo = -exp(-1.0);
        for (int64_t i = 0; i < m; ++i) {
            double zi = z[acc[i]];
            arg[i] = zi > lo ? zi : lo;
        }
        lambertw0_many(arg, w, p, m);
        for (int64_t i = 0; i < m; ++i) {
            first[acc[i]] = u[acc[i]] - w[i];
            slope[acc[i]] = 1.0 + w[i];
        }
        return;
    }
    for (int64_t i = 0; i < m; ++i) {
        int64_t j = acc[i];
        double disc = u[j] * u[j] - 4.0 * a1[j] * c;
        if (!(disc >= 0.0)) {
            slope[j] = 0.0;
            first[j] = INFINITY;
            continue;
        }
        slope[j] = sqrt(disc);
        first[j] = 2.0 * (log(2.0 * a1[j]) - log(u[j] + slope[j]));
    }
}

void bss2_first_spikes(const double *times, const double *bias, int64_t batch, int64_t n_in,
                       int64_t n_bias, const double *weights, int64_t n_out, double c, double tau,
                       int32_t ratio, double *first, double *last, double *a1_out, double *slope)
{
    input *in = (input *)malloc(sizeof(input) * (size_t)n_in);
    timed *buf = (timed *)malloc(sizeof(timed) * (size_t)(2 * n_in)); /* sort and scratch */
    int64_t *keys = (int64_t *)malloc(sizeof(int64_t) * (size_t)(2 * n_in + 1)); /* sort's */
    double *u = (double *)malloc(sizeof(double) * (size_t)(5 * n_out)); /* u, z, scratch */
    int64_t *acc = (int64_t *)malloc(sizeof(int64_t) * (size_t)n_out); /* accepted neurons */
    double *tb = (double *)malloc(sizeof(double) * (size_t)n_in);     /* a shifted row */
    if (!in || !buf || !keys || !u || !tb || !acc) {
        for (int64_t i = 0; i < batch * n_out; ++i) {
            first[i] = last[i] = a1_out[i] = slope[i] = NAN;
        }
        goto done;
    }
    double *z = u + n_out;
    const double tol = c * WINDOW_TOL;
    for (int64_t b = 0; b < batch; ++b) {
        double shift = shifted_scaled(times + b * (n_in - n_bias), bias, n_in, n_bias, tau, tb);
        double *first_b = first + b * n_out, *last_b = last + b * n_out;
        double *a1_b = a1_out + b * n_out, *slope_b = slope + b * n_out;
        int64_t n = 0; /* finite inputs, then sorted */
        for (int64_t i = 0; i < n_in; ++i) {
            if (isfinite(tb[i])) {
                buf[n].t = tb[i];
                buf[n++].i = i;
            }
        }
        const timed *sorted = stable_sort(buf, n, buf + n_in, keys, keys + n_in);
        int64_t filled = (n > 0) ? fill_inputs(in, 0, 0, sorted, weights, n_out, ratio) : 0;
        /* each neuron's scan for its causal set; the crossings after all scans, independent of
         * each other (their exponentials and divisions overlap) */
        for (int64_t j = 0; j < n_out; ++j) {
            first_b[j] = last_b[j] = INFINITY;
            a1_b[j] = slope_b[j] = 0.0;
        }
        for (int64_t j = 0; n > 0 && j < n_out; ++j) {
            double w = in[0].row[j];
            double a1 = w * in[0].e1, second = w * in[0].x;
            double v = potential_at(&in[0], a1, second, ratio);
            for (int64_t k = 0; k < n; ++k) {
                const input *next = NULL;
                double a1_next = 0.0, second_next = 0.0, v_next = 0.0;
                if (k + 1 < n) {
                    if (k + 1 >= filled) {
                        filled = fill_inputs(in, filled, k + 1, sorted, weights, n_out, ratio);
                    }
                    next = &in[k + 1];
                    w = next->row[j];
                    a1_next = a1 + w * next->e1;
                    second_next = second + w * next->x;
                    v_next = potential_at(next, a1_next, second_next, ratio);
                }
                if (accepted(&in[k], next, a1, second, v, v_next, c, tol, ratio, &u[j], &z[j])) {
                    last_b[j] = in[k].t;
                    a1_b[j] = a1;
                    break;
                }
                a1 = a1_next;
                second = second_next;
                v = v_next;
            }
        }
        int64_t m = 0; /* accepted: the time of their last input is finite */
        for (int64_t j = 0; j < n_out; ++j) {
            acc[m] = j;
            m += isfinite(last_b[j]);
        }
        crossings(acc, m, a1_b, u, z, c, ratio, first_b, slope_b, z + n_out);
        for (int64_t j = 0; j < n_out; ++j) {
            first_b[j] = (first_b[j] + shift) * tau; /* back in the caller's time units */
            last_b[j] = (last_b[j] + shift) * tau;
        }
    }
done:
    free(in);
    free(buf);
    free(keys);
    free(u);
    free(tb);
    free(acc);
}

/* The gradients' factors of output j from its causal set's sums (a1 and, ratio 1, b; ratio 2,
 * a2), recomputed as gradients.spike_time_jacobians does: ratio 1 gain = 1 / (a1 (1 + W)),
 * ratio 2 the slope S. Returns whether the crossing exists (a1 > 0 and the slope factor > 0). */
static int recomputed_factors(double a1, double second, double c, int32_t ratio, double *a1_out,
                              double *factor)
{
    *a1_out = a1;
    if (ratio == 1) {
        double log_mz = log(c / a1) + second / a1;
        if (!(a1 > 0.0 && log_mz <= -1.0)) {
            return 0;
        }
        *factor = 1.0 + lambertw0(-exp(log_mz));
        return *factor > 0.0;
    }
    *factor = sqrt(second * second - 4.0 * a1 * c);
    return a1 > 0.0 && *factor > 0.0;
}

/* One input's entries of a sample's dL/dw (into dw) and terms of dL/dt_in (into dterr) for
 * all n neurons, from its shifted time t (t0: 0 if silent) and e1 = e^t0, the neurons' terms
 * (gradients.spike_time_jacobians: ratio 1 gain = 1 / (a1 (1 + W)), ratio 2 gain = the
 * amplitude and inv_s = 1 / S) and the loss gradient err; keeps each neuron's largest |dw|. */
static void input_terms(double t, double t0, double e1, const double *restrict row,
                        const double *restrict big0, const double *restrict hz,
                        const double *restrict gain, const double *restrict inv_s,
                        const double *restrict err, int64_t n, double tau, int32_t ratio,
                        double *restrict dw, double *restrict dterr, double *restrict largest)
{
    if (ratio == 1) {
        for (int64_t j = 0; j < n; ++j) {
            double e1c = (t <= hz[j]) ? e1 : 0.0; /* e^t on the causal set, else 0 */
            double lag = big0[j] - t0;
            double scaled = e1c * gain[j];
            dw[j] = -tau * scaled * lag * err[j];
            dterr[j] = -row[j] * scaled * (lag - 1.0) * err[j];
        }
    } else {
        for (int64_t j = 0; j < n; ++j) {
            double e1c = (t <= hz[j]) ? e1 : 0.0;
            double e2c = sqrt(e1c);
            double core = 2.0 * gain[j] * e1c - e2c * inv_s[j];
            dw[j] = tau * (core - e2c * inv_s[j]) * err[j];
            dterr[j] = row[j] * core * err[j];
        }
    }
    for (int64_t j = 0; j < n; ++j) {
        double mag = fabs(dw[j]);
        largest[j] = (mag > largest[j]) ? mag : largest[j];
    }
}

void bss2_layer_backward(const double *in_times, const double *bias, const double *out_times,
                         const double *causal_until, const double *a1_fwd, const double *slope_fwd,
                         const double *weights, const double *out_error, int64_t batch,
                         int64_t n_in, int64_t n_bias, int64_t n_out, double c, double tau,
                         int32_t ratio, double max_dw_norm, double *grad, double *in_error)
{
    /* per input: tb, t0, e1; per neuron: big0, hz, err, gain (ratio 2: amp), inv_s, a1, second,
     * largest, use, keep; per (input, neuron): dw and the terms of in_error */
    double *buf = (double *)malloc(sizeof(double) * (size_t)(3 * n_in + 10 * n_out
                                                               + 2 * n_in * n_out));
    if (!buf) {
        for (int64_t i = 0; i < n_in * n_out; ++i) {
            grad[i] = NAN;
        }
        return;
    }
    double *tb = buf, *t0 = tb + n_in, *e1 = t0 + n_in;
    double *big0 = e1 + n_in, *hz = big0 + n_out, *err = hz + n_out, *gain = err + n_out;
    double *inv_s = gain + n_out, *a1 = inv_s + n_out, *second = a1 + n_out;
    double *largest = second + n_out, *use = largest + n_out, *keep = use + n_out;
    double *dw = keep + n_out, *dterr = dw + n_in * n_out; /* both (n_in, n_out) */
    for (int64_t i = 0; i < n_in * n_out; ++i) {
        grad[i] = 0.0;
    }
    for (int64_t b = 0; b < batch; ++b) {
        /* the forward pass's time frame: inputs shifted to start at 0, in tau_syn units */
        double shift = shifted_scaled(in_times + b * (n_in - n_bias), bias, n_in, n_bias, tau, tb);
        double *ie = in_error + b * n_in;
        double reach = -INFINITY; /* the latest horizon of a spike: later inputs are causal to none */
        for (int64_t j = 0; j < n_out; ++j) {
            double big = out_times[b * n_out + j] / tau - shift;
            double h = causal_until ? causal_until[b * n_out + j] / tau - shift : big;
            int fires = isfinite(big);
            big0[j] = fires ? big : 0.0;
            hz[j] = fires ? h : NAN; /* no input is causal to a silent neuron */
            reach = (fires && h > reach) ? h : reach;
            err[j] = out_error[b * n_out + j];
            a1[j] = second[j] = largest[j] = 0.0;
        }
        for (int64_t i = 0; i < n_in; ++i) {
            t0[i] = isfinite(tb[i]) ? tb[i] : 0.0;
            e1[i] = (tb[i] <= reach) ? exp(t0[i]) : 0.0;
            ie[i] = 0.0;
        }
        if (!a1_fwd) { /* the causal sets' sums, recomputed (over the inputs in their order) */
            for (int64_t i = 0; i < n_in; ++i) {
                const double *row = weights + i * n_out;
                for (int64_t j = 0; j < n_out; ++j) {
                    double e1c = (tb[i] <= hz[j]) ? e1[i] : 0.0;
                    double we = row[j] * e1c;
                    a1[j] += we;
                    second[j] += (ratio == 1) ? we * t0[i] : row[j] * sqrt(e1c);
                }
            }
        }
        for (int64_t j = 0; j < n_out; ++j) { /* each neuron's factors of its derivatives */
            int64_t at = b * n_out + j;
            double factor = 0.0;
            int valid;
            if (a1_fwd) { /* the forward pass's sums of this causal set */
                a1[j] = a1_fwd[at];
                factor = slope_fwd[at];
                valid = a1[j] > 0.0 && factor > 0.0;
            } else {
                valid = recomputed_factors(a1[j], second[j], c, ratio, &a1[j], &factor);
            }
            valid = valid && !isnan(hz[j]);
            gain[j] = inv_s[j] = 0.0;
            if (valid && ratio == 1) {
                gain[j] = 1.0 / (a1[j] * factor);
            } else if (valid) {
                gain[j] = (1.0 + c / factor * exp(big0[j] / 2.0)) / a1[j];
                inv_s[j] = 1.0 / factor;
            }
            use[j] = (valid || !isfinite(err[j])) ? 1.0 : 0.0; /* else every entry is 0 */
        }
        for (int64_t i = 0; i < n_in; ++i) { /* dL/dw and the terms of dL/dt_in, per input */
            input_terms(tb[i], t0[i], e1[i], weights + i * n_out, big0, hz, gain, inv_s, err,
                        n_out, tau, ratio, dw + i * n_out, dterr + i * n_out, largest);
        }
        for (int64_t j = 0; j < n_out; ++j) { /* the paper's guard: a neuron's gradient of this
                                                 * sample is dropped if an entry is too large */
            keep[j] = (use[j] != 0.0 && !(largest[j] > max_dw_norm)) ? 1.0 : 0.0;
        }
        for (int64_t i = 0; i < n_in; ++i) {
            const double *dw_i = dw + i * n_out;
            double *grad_i = grad + i * n_out;
            for (int64_t j = 0; j < n_out; ++j) {
                grad_i[j] += (keep[j] != 0.0) ? dw_i[j] : 0.0;
            }
        }
        for (int64_t j = 0; j < n_out; ++j) { /* dL/dt_in, summed over the neurons in order */
            if (use[j] != 0.0) {
                for (int64_t i = 0; i < n_in; ++i) {
                    ie[i] += dterr[i * n_out + j];
                }
            }
        }
        for (int64_t i = 0; i < n_in; ++i) {
            ie[i] = isfinite(ie[i]) ? ie[i] : 0.0;
        }
    }
    free(buf);
}
