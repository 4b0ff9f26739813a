/* A run's outputs as the records chipsim hands out (chipsim.events: SPIKE_DTYPE and
 * OUTPUT_EVENT_DTYPE), written in one pass into fresh buffers instead of through numpy's field
 * assignments and temporaries: the record layouts come from the dtypes (bss2_record_layout),
 * so they are declared once, in Python. */
#include <stdlib.h>
#include <string.h>
#include "core.h"

static inline void put64(uint8_t *record, int32_t offset, int64_t value)
{
    memcpy(record + offset, &value, sizeof value);
}

static inline void put16(uint8_t *record, int32_t offset, uint16_t value)
{
    memcpy(record + offset, &value, sizeof value);
}

/* A buffer of n records (at least one byte, so that NULL means out of memory). */
static uint8_t *records(int64_t n, int32_t size)
{
    return malloc(n > 0 ? (size_t)n * (size_t)size : 1);
}

int bss2_output_records(const int64_t *tick, const int32_t *neuron, int64_t n,
                        const int64_t *in_tick, const int32_t *in_source, int64_t n_in,
                        const int64_t *source_l2, int32_t fpga_shift,
                        const bss2_record_layout *layout, bss2_records *out,
                        int64_t *spike_count, int64_t n_count)
{
    int64_t n_sent = 0, n_ext = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (i && tick[i] < tick[i - 1]) {
            return BSS2_ERR_UNSORTED;
        }
        if (neuron[i] < 0 || neuron[i] >= n_count) {
            return BSS2_ERR_SOURCE;
        }
        n_sent += source_l2[neuron[i]] >= 0;
    }
    for (int64_t i = 0; i < n_in; ++i) {
        n_ext += source_l2[in_source[i]] >= 0;
    }
    uint8_t *spikes = records(n, layout->spike_size);
    uint8_t *events = records(n_sent + n_ext, layout->event_size);
    if (!spikes || !events) {
        free(spikes);
        free(events);
        return BSS2_ERR_MEMORY;
    }
    for (int64_t i = 0; i < n; ++i) {
        uint8_t *r = spikes + i * layout->spike_size;
        put64(r, layout->spike_chip_time, tick[i]);
        put16(r, layout->spike_neuron, (uint16_t)neuron[i]);
        spike_count[neuron[i]] += 1;
    }
    /* both lists are in time order: merge them, spikes first among equal times */
    uint8_t *e = events;
    int64_t i = 0, k = 0;
    for (;;) {
        while (i < n && source_l2[neuron[i]] < 0) {
            ++i;
        }
        while (k < n_in && source_l2[in_source[k]] < 0) {
            ++k;
        }
        if (i == n && k == n_in) {
            break;
        }
        int64_t t, label;
        if (k == n_in || (i < n && tick[i] <= in_tick[k])) {
            t = tick[i];
            label = source_l2[neuron[i++]];
        } else {
            t = in_tick[k];
            label = source_l2[in_source[k++]];
        }
        put64(e, layout->event_time, t >> fpga_shift);
        put64(e, layout->event_chip_time, t);
        put16(e, layout->event_label, (uint16_t)label);
        e += layout->event_size;
    }
    out->spikes = spikes;
    out->events = events;
    out->n_events = n_sent + n_ext;
    return BSS2_OK;
}
