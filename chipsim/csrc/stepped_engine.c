/* Time-stepped engine: exact exponential propagators over a fixed step dt = 1/substeps chip
 * ticks for the linear part, explicit Euler for the AdEx exponential and adaptation terms,
 * threshold crossings located by linear interpolation inside the step. Records membrane traces
 * (the MADC view). Events fall on chip-tick boundaries, which are step boundaries. Exponentials
 * are the event engine's (exp_kernel.h): inline, and the same bits on any machine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "engine_common.h"
#include "lif.h"

#define EXP_ARG_MAX 20.0

/* Per-neuron constants of one step: propagators of the linear part and the AdEx terms. */
typedef struct {
    double pm, pe, pi, ke, ki, pw;
    double e_leak, v_exp, inv_delta_t, exp_gain, adapt_a; /* exp_gain = delta_t / tau_mem */
    int adex;
} propagator;

static void record_trace(const bss2_state *st, bss2_trace *trace)
{
    if (trace->n >= trace->capacity) {
        return;
    }
    double *row = trace->samples + trace->n * trace->n_neurons;
    for (int32_t i = 0; i < trace->n_neurons; ++i) {
        row[i] = st->v[trace->neuron[i]];
    }
    trace->n += 1;
}

static void enter_free(const bss2_network *net, bss2_state *st, int32_t n, double t)
{
    st->mode[n] = BSS2_MODE_FREE;
    if (net->fire_enable[n] && st->v[n] >= bss2_threshold(net, st, n)) {
        st->mode[n] = BSS2_MODE_PENDING;
        st->fire_time[n] = bss2_fire_tick(net, st, n, t);
    }
}

int bss2_stepped_run(const bss2_network *net, bss2_state *st,
                     const int64_t *in_tick, const int32_t *in_source, int64_t n_in, int64_t t_end,
                     int32_t substeps, const int32_t *active, int32_t n_active,
                     bss2_trace *trace, bss2_spikes *spikes)
{
    int rc = bss2_check_inputs(net, in_tick, in_source, n_in, t_end);
    if (rc != BSS2_OK) {
        return rc;
    }
    int32_t n_trace = trace ? trace->n_neurons : 0;
    if (substeps < 1 || (n_trace > 0 && !(trace->interval > 0.0))) {
        return BSS2_ERR_PARAMETER;
    }
    double dt = 1.0 / (double)substeps;
    int32_t nn = net->n_neurons;
    propagator *prop = (propagator *)malloc(sizeof(propagator) * (size_t)nn);
    double *theta = (double *)malloc(sizeof(double) * (size_t)nn);
    bss2_spikes fifo = {0};
    int64_t fifo_head = 0, next_in = 0;
    if (trace) {
        trace->n = 0;
    }
    if (!prop || !theta) {
        rc = BSS2_ERR_MEMORY;
        goto done;
    }
    for (int32_t a = 0; a < n_active; ++a) {
        int32_t n = active[a];
        propagator *p = &prop[n];
        p->pm = bss2_exp(-dt / net->tau_mem[n]);
        p->pe = bss2_exp(-dt / net->tau_syn_exc[n]);
        p->pi = bss2_exp(-dt / net->tau_syn_inh[n]);
        p->ke = bss2_kernel(dt, 1.0 / net->tau_mem[n], 1.0 / net->tau_syn_exc[n]);
        p->ki = bss2_kernel(dt, 1.0 / net->tau_mem[n], 1.0 / net->tau_syn_inh[n]);
        p->pw = net->adex_enable[n] ? bss2_exp(-dt / net->tau_adapt[n]) : 1.0;
        p->e_leak = net->e_leak[n];
        p->adex = net->adex_enable[n] != 0;
        p->v_exp = p->adex ? net->v_exp[n] : 0.0;
        p->inv_delta_t = p->adex ? 1.0 / net->delta_t[n] : 0.0;
        p->exp_gain = p->adex ? net->delta_t[n] / net->tau_mem[n] : 0.0;
        p->adapt_a = p->adex ? net->adapt_a[n] : 0.0;
        theta[n] = bss2_threshold(net, st, n);
    }
    int64_t sample = 0;
    for (int64_t k = 0; k < t_end; ++k) {
        double tk = (double)k;
        /* 1. neuron events due at this tick, in neuron order */
        for (int32_t a = 0; a < n_active; ++a) {
            int32_t n = active[a];
            if (st->mode[n] == BSS2_MODE_PENDING && st->fire_time[n] == tk) {
                int64_t arrival = k + net->latency_ticks;
                if (bss2_spikes_push(spikes, k, n) != BSS2_OK ||
                    (arrival < t_end && net->fan_ptr[n + 1] > net->fan_ptr[n] &&
                     bss2_spikes_push(&fifo, arrival, n) != BSS2_OK)) {
                    rc = BSS2_ERR_MEMORY;
                    goto done;
                }
                st->spike_index[n] += 1;
                theta[n] = bss2_threshold(net, st, n);
                st->v[n] = net->v_reset[n];
                if (net->adex_enable[n]) {
                    st->w[n] += net->adapt_b[n];
                }
                st->hold_end[n] = k + net->hold_ticks[n];
                st->refractory_end[n] = k + net->refractory_ticks[n];
                st->mode[n] = net->hold_ticks[n] > 0         ? BSS2_MODE_HOLD
                              : net->refractory_ticks[n] > 0 ? BSS2_MODE_REFRACTORY
                                                             : BSS2_MODE_FREE;
                if (st->mode[n] == BSS2_MODE_FREE) {
                    enter_free(net, st, n, tk);
                }
            }
            if (st->mode[n] == BSS2_MODE_HOLD && st->hold_end[n] == k) {
                if (st->refractory_end[n] > st->hold_end[n]) {
                    st->mode[n] = BSS2_MODE_REFRACTORY;
                } else {
                    enter_free(net, st, n, tk);
                }
            }
            if (st->mode[n] == BSS2_MODE_REFRACTORY && st->refractory_end[n] == k) {
                enter_free(net, st, n, tk);
            }
        }
        /* 2. synaptic arrivals: on-chip routed spikes first, then external events */
        while (fifo_head < fifo.n && fifo.tick[fifo_head] == k) {
            int32_t src = fifo.neuron[fifo_head++];
            for (int32_t q = net->fan_ptr[src]; q < net->fan_ptr[src + 1]; ++q) {
                double *j = net->fan_channel[q] ? st->ji : st->je;
                j[net->fan_neuron[q]] += net->fan_amp[q];
            }
        }
        while (next_in < n_in && in_tick[next_in] == k) {
            int32_t src = in_source[next_in++];
            for (int32_t q = net->fan_ptr[src]; q < net->fan_ptr[src + 1]; ++q) {
                double *j = net->fan_channel[q] ? st->ji : st->je;
                j[net->fan_neuron[q]] += net->fan_amp[q];
            }
        }
        /* 3. integrate the sub-steps of this tick */
        for (int32_t s = 0; s < substeps; ++s) {
            double t = tk + s * dt;
            while (n_trace > 0 && (double)sample * trace->interval <= t) {
                record_trace(st, trace);
                sample += 1;
            }
            for (int32_t a = 0; a < n_active; ++a) {
                int32_t n = active[a];
                const propagator *p = &prop[n];
                double v = st->v[n];
                int32_t mode = st->mode[n];
                if (mode != BSS2_MODE_HOLD) {
                    double el = p->e_leak;
                    double vn = el + (v - el) * p->pm + st->je[n] * p->ke - st->ji[n] * p->ki;
                    if (p->adex) {
                        double arg = (v - p->v_exp) * p->inv_delta_t;
                        if (arg > EXP_ARG_MAX) {
                            arg = EXP_ARG_MAX;
                        }
                        double rise = bss2_exp(arg);
                        vn += dt * (p->exp_gain * rise - st->w[n]);
                    }
                    st->v[n] = vn;
                    if (mode == BSS2_MODE_FREE && net->fire_enable[n] && vn >= theta[n]) {
                        double frac = (vn > v) ? (theta[n] - v) / (vn - v) : 0.0;
                        st->mode[n] = BSS2_MODE_PENDING;
                        st->fire_time[n] = bss2_fire_tick(net, st, n, t + dt * frac);
                    }
                }
                if (p->adex) {
                    double target = p->adapt_a * (v - p->e_leak);
                    st->w[n] = target + (st->w[n] - target) * p->pw;
                }
                st->je[n] *= p->pe;
                st->ji[n] *= p->pi;
            }
        }
    }
    for (int32_t n = 0; n < nn; ++n) {
        st->fire_time[n] -= (double)t_end;
        st->hold_end[n] -= t_end;
        st->refractory_end[n] -= t_end;
    }
done:
    free(prop);
    free(theta);
    bss2_spikes_free(&fifo);
    return rc;
}
