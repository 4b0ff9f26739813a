/* Rates are inverse time constants (1/tick). Closed-form LIF membrane with exponential synaptic currents, and its first threshold crossing. */
#ifndef BSS2_LIF_H
#define BSS2_LIF_H

#include <stdint.h>

/* Synaptic kernel: integral over [0, dt] of exp(-s/tau_syn) * exp(-(dt-s)/tau_mem) ds. */
double bss2_kernel(double dt, double rate_mem, double rate_syn);

/* Maximum over t of the synaptic kernel (the peak of a unit PSP). */
double bss2_kernel_peak(double rate_mem, double rate_syn);

/* Membrane potential dt after a state (v0, je0, ji0) with no spike and no new input. */
double bss2_membrane(double dt, double v0, double je0, double ji0, double e_leak,
                     double rate_mem, double rate_exc, double rate_inh);

/* Propagate a state (v, je, ji) by dt with shared exponentials; v is left alone unless
 * move_v (the membrane is clamped during reset). */
void bss2_advance(double dt, int move_v, double *v, double *je, double *ji, double e_leak,
                  double rate_mem, double rate_exc, double rate_inh);

/* Earliest t in [0, horizon] with V(t) >= theta, or +inf if there is none; peak_exc is
 * bss2_kernel_peak(rate_mem, rate_exc), used for a quick rejection. */
double bss2_first_crossing(double v0, double je0, double ji0, double e_leak, double theta,
                           double rate_mem, double rate_exc, double rate_inh, double peak_exc,
                           double horizon);

#endif
