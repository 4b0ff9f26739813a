/* Exact propagators of the linear neurons of the time-stepped engine: LIF, or adaptation
 * without the exponential term, over any time step. */
#ifndef BSS2_LINEAR_PROPAGATOR_H
#define BSS2_LINEAR_PROPAGATOR_H

#include "core.h"

#define LINEAR_STATE 4 /* (v - e_leak, w, je, ji) */

/* The first two rows (membrane, adaptation) of neuron n's propagator over dt ticks. */
void bss2_linear_rows(const bss2_network *net, int32_t n, double dt, double row_v[LINEAR_STATE],
                      double row_w[LINEAR_STATE]);

#endif
