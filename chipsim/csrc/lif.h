/* Closed-form LIF membrane with exponential synaptic currents and its first threshold
 * crossing; time in chip ticks, rates are inverse time constants. */
#ifndef BSS2_LIF_H
#define BSS2_LIF_H

#include <stdint.h>

/* Synaptic kernel: integral over [0, dt] of exp(-s/tau_syn) * exp(-(dt-s)/tau_mem) ds. */
double bss2_kernel(double dt, double rate_mem, double rate_syn);

/* Per-neuron rates (1/tick) and derived constants used on every propagation. */
typedef struct {
    double mem, exc, inh;       /* 1/tau_mem, 1/tau_syn_exc, 1/tau_syn_inh */
    double inv_d_exc, inv_d_inh; /* 1/(mem - exc), 1/(mem - inh), 0 where equal */
    double peak_exc;            /* maximum over t of the excitatory kernel (unit PSP peak) */
} bss2_rates;

void bss2_rates_init(bss2_rates *r, double tau_mem, double tau_exc, double tau_inh);

/* Propagate a state (v, je, ji) by dt with shared exponentials; v is left alone unless
 * move_v (the membrane is clamped during reset). */
void bss2_advance(double dt, int move_v, double *v, double *je, double *ji, double e_leak,
                  const bss2_rates *r);

/* Earliest t in [0, horizon] with V(t) >= theta, or +inf if there is none. */
double bss2_first_crossing(double v0, double je0, double ji0, double e_leak, double theta,
                           const bss2_rates *r, double horizon);

#endif
