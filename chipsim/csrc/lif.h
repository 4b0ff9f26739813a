/* Closed-form LIF membrane with exponential synaptic currents and its first threshold
 * crossing; time in chip ticks, rates are inverse time constants. */
#ifndef BSS2_LIF_H
#define BSS2_LIF_H

#include <math.h>
#include <stdint.h>
#include "exp_kernel.h"

/* below |dt (1/tm - 1/ts)| < BSS2_EXPM1_BELOW the difference of exponentials loses more than
 * three digits to cancellation and e^x - 1 (bss2_expm1_small) is used instead */
#define BSS2_EXPM1_BELOW 1e-3

/* Synaptic kernel: integral over [0, dt] of exp(-s/tau_syn) * exp(-(dt-s)/tau_mem) ds. */
double bss2_kernel(double dt, double rate_mem, double rate_syn);

/* Per-neuron rates (1/tick) and derived constants used on every propagation. */
typedef struct {
    double mem, exc, inh;       /* 1/tau_mem, 1/tau_syn_exc, 1/tau_syn_inh */
    double inv_d_exc, inv_d_inh; /* 1/(mem - exc), 1/(mem - inh), 0 where equal */
    double peak_exc;            /* maximum over t of the excitatory kernel (unit PSP peak) */
    double tau[3];              /* tau_mem, tau_syn_exc, tau_syn_inh (for bounds) */
    double neg_rate[4], rate2[4]; /* -rate and rate^2 of mem, exc, inh; 0 (a fourth lane) */
} bss2_rates;

void bss2_rates_init(bss2_rates *r, double tau_mem, double tau_exc, double tau_inh);

/* K(dt) given em = e^{-dt rm}, es = e^{-dt rs}, d = rm - rs and its inverse. */
static inline double bss2_kernel_term(double dt, double em, double es, double d, double inv_d)
{
    if (d == 0.0) {
        return dt * em;
    }
    double x = dt * d;
    if (fabs(x) < BSS2_EXPM1_BELOW) {
        return em * (bss2_expm1_small(x) * inv_d);
    }
    return (es - em) * inv_d;
}

/* The rest of bss2_advance once its exponentials are known: em = e^{-dt rm} (unused unless
 * move_v), ee = e^{-dt re} and ei = e^{-dt ri} (0 where the current is 0). */
static inline void bss2_advance_with(double dt, int move_v, double em, double ee, double ei,
                                     double *v, double *je, double *ji, double e_leak,
                                     const bss2_rates *r)
{
    double je0 = *je, ji0 = *ji;
    if (move_v) {
        double vn = e_leak + (*v - e_leak) * em;
        if (je0 != 0.0) {
            vn += je0 * bss2_kernel_term(dt, em, ee, r->mem - r->exc, r->inv_d_exc);
        }
        if (ji0 != 0.0) {
            vn -= ji0 * bss2_kernel_term(dt, em, ei, r->mem - r->inh, r->inv_d_inh);
        }
        *v = vn;
    }
    *je = je0 * ee;
    *ji = ji0 * ei;
}

/* Propagate a state (v, je, ji) by dt with shared exponentials; v is left alone unless
 * move_v (the membrane is clamped during reset). Inline: it is the engine's innermost step. */
static inline void bss2_advance(double dt, int move_v, double *v, double *je, double *ji,
                                double e_leak, const bss2_rates *r)
{
    double ee = (*je != 0.0) ? bss2_exp(-dt * r->exc) : 0.0;
    double ei = (*ji != 0.0) ? bss2_exp(-dt * r->inh) : 0.0;
    double em = move_v ? bss2_exp(-dt * r->mem) : 1.0;
    bss2_advance_with(dt, move_v, em, ee, ei, v, je, ji, e_leak, r);
}

/* bss2_advance of one neuron, its exponentials on vector lanes where the machine has them
 * (the same bits). */
void bss2_advance_one(double dt, int move_v, double *v, double *je, double *ji, double e_leak,
                      const bss2_rates *r);

/* Earliest t in [0, horizon] with V(t) >= theta, or +inf if there is none. A caller that
 * discards crossings at or after discard_from (an arrival replaces the prediction) lets the
 * search stop, with +inf, once every crossing it could still find lies there; the crossings it
 * reports are those of the whole search. */
double bss2_first_crossing(double v0, double je0, double ji0, double e_leak, double theta,
                           const bss2_rates *r, double horizon, double discard_from);

#endif
