/* Helpers shared by the event-driven and the time-stepped engine: neuron state transitions that
 * both must perform identically (spike emission, reset, refractory bookkeeping, noise draws). */
#ifndef BSS2_ENGINE_COMMON_H
#define BSS2_ENGINE_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include "core.h"
#include "noise.h"

/* Effective threshold of neuron n for its next spike (per-spike threshold noise). */
static inline double bss2_threshold(const bss2_network *net, const bss2_state *st, int32_t n)
{
    double th = net->v_threshold[n];
    if (net->threshold_noise > 0.0) {
        th += net->threshold_noise
              * bss2_gauss(net->noise_seed, (uint64_t)n, st->spike_index[n], BSS2_STREAM_THRESHOLD);
    }
    return th;
}

/* Chip clock tick at which a crossing at time tc is registered by the digital backend: the next
 * clock edge after the crossing, delayed by the (half-normal) comparator jitter. */
static inline double bss2_fire_tick(const bss2_network *net, const bss2_state *st, int32_t n,
                                    double tc)
{
    double delay = 0.0;
    if (net->jitter > 0.0) {
        delay = net->jitter
                * fabs(bss2_gauss(net->noise_seed, (uint64_t)n, st->spike_index[n],
                                  BSS2_STREAM_JITTER));
    }
    return floor(tc + delay) + 1.0;
}

/* Room for at least `need` spikes, growing the buffers geometrically. */
static inline int bss2_spikes_reserve(bss2_spikes *s, int64_t need)
{
    if (need <= s->capacity) {
        return BSS2_OK;
    }
    int64_t cap = s->capacity ? 2 * s->capacity : 4096;
    while (cap < need) {
        cap *= 2;
    }
    int64_t *t = (int64_t *)realloc(s->tick, sizeof(int64_t) * (size_t)cap);
    if (!t) {
        return BSS2_ERR_MEMORY;
    }
    s->tick = t;
    int32_t *nn = (int32_t *)realloc(s->neuron, sizeof(int32_t) * (size_t)cap);
    if (!nn) {
        return BSS2_ERR_MEMORY;
    }
    s->neuron = nn;
    s->capacity = cap;
    return BSS2_OK;
}

/* Append a spike. */
static inline int bss2_spikes_push(bss2_spikes *s, int64_t tick, int32_t neuron)
{
    if (s->n == s->capacity && bss2_spikes_reserve(s, s->n + 1) != BSS2_OK) {
        return BSS2_ERR_MEMORY;
    }
    s->tick[s->n] = tick;
    s->neuron[s->n] = neuron;
    s->n += 1;
    return BSS2_OK;
}

/* Validate the arrival list: sorted ticks in [0, t_end), known sources. */
static inline int bss2_check_inputs(const bss2_network *net, const int64_t *in_tick,
                                    const int32_t *in_source, int64_t n_in, int64_t t_end)
{
    for (int64_t i = 0; i < n_in; ++i) {
        if (in_source[i] < 0 || in_source[i] >= net->n_sources) {
            return BSS2_ERR_SOURCE;
        }
        if (in_tick[i] < 0 || in_tick[i] >= t_end || (i > 0 && in_tick[i] < in_tick[i - 1])) {
            return BSS2_ERR_UNSORTED;
        }
    }
    return BSS2_OK;
}

#endif
