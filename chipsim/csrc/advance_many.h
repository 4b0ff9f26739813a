/* Propagation of a list of free neurons to one time (advance_many.c). */
#ifndef BSS2_ADVANCE_MANY_H
#define BSS2_ADVANCE_MANY_H

#include <stdint.h>
#include "lif.h"

/* Neurons idx[0..m) from t_state[n] (!= t) to t, the membrane moving or (move_v = 0) clamped:
 * bss2_advance on each, bit for bit, on vector lanes where the machine has them; t_state[n]
 * becomes t. */
void bss2_advance_many(const int32_t *idx, int32_t m, int move_v, double t, double *t_state,
                       double *v, double *je, double *ji, const double *e_leak,
                       const bss2_rates *rate);

#endif
