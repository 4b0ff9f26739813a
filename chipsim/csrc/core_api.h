/* Public C interface of the chip emulator core, read verbatim by cffi (no preprocessor logic). */

#define BSS2_MODE_FREE 0
#define BSS2_MODE_PENDING 1
#define BSS2_MODE_HOLD 2
#define BSS2_MODE_REFRACTORY 3

#define BSS2_QUADS_PER_ROW 64
#define BSS2_SYNAPSE_ROWS 256
#define BSS2_COLUMNS 256

#define BSS2_OK 0
#define BSS2_ERR_UNSORTED 2
#define BSS2_ERR_SOURCE 3
#define BSS2_ERR_PARAMETER 4
#define BSS2_ERR_MEMORY 5

#define BSS2_TIMING_NONE 0
#define BSS2_TIMING_SYSDELTA 1
#define BSS2_TIMING_SYSTIME 2

/* Static description of a configured network: neuron parameters (engine units: volts, chip clock
 * ticks, synaptic drive in volts per tick) and the resolved routing as a fan-out table per source.
 * Sources 0..n_neurons-1 are the neurons; higher sources are external (FPGA input, background). */
typedef struct {
    int32_t n_neurons;
    const double *e_leak;
    const double *v_reset;
    const double *v_threshold;
    const double *tau_mem;
    const double *tau_syn_exc;
    const double *tau_syn_inh;
    const int32_t *hold_ticks;
    const int32_t *refractory_ticks;
    const uint8_t *fire_enable;
    const uint8_t *adex_enable; /* adaptation or the exponential term on */
    const uint8_t *exp_enable;  /* the exponential term on (then adex_enable too) */
    const double *delta_t;
    const double *v_exp;
    const double *adapt_a;
    const double *adapt_b;
    const double *tau_adapt;
    double threshold_noise;
    double jitter;
    uint64_t noise_seed;
    int32_t n_sources;
    const int32_t *fan_ptr;
    const int32_t *fan_neuron;
    const uint8_t *fan_channel;
    const double *fan_amp;
    int32_t latency_ticks;
} bss2_network;

/* Dynamic neuron state, carried from one run to the next. Times are chip ticks relative to the
 * start of the next run (the engines rebase them at the end of a run). */
typedef struct {
    double *v;
    double *je;
    double *ji;
    double *w;
    int32_t *mode;
    double *fire_time;
    int64_t *hold_end;
    int64_t *refractory_end;
    uint32_t *spike_index;
} bss2_state;

/* Spikes recorded by a run, in buffers the engine grows as needed; free with bss2_spikes_free,
 * or take a buffer over and release it with bss2_free. */
typedef struct {
    int64_t *tick;
    int32_t *neuron;
    int64_t n;
    int64_t capacity;
} bss2_spikes;

void bss2_spikes_free(bss2_spikes *spikes);
void bss2_free(void *buffer);

/* Byte sizes and field offsets of the spike record (chip_time int64, neuron int16) and of the
 * event record (time int64, chip_time int64, label uint16), read from chipsim's dtypes. */
typedef struct {
    int32_t spike_size, spike_chip_time, spike_neuron;
    int32_t event_size, event_time, event_chip_time, event_label;
} bss2_record_layout;

/* Record buffers of bss2_output_records, each released with bss2_free. */
typedef struct {
    uint8_t *spikes;
    uint8_t *events;
    int64_t n_events;
} bss2_records;

/* The records of a run's n spikes (in time order) and of its events to the FPGA: the spikes
 * and the external arrivals (in time order) whose source has an L2 label (source_l2 >= 0),
 * merged by time, spikes first among equal times; FPGA time is chip time >> fpga_shift. Each
 * spike also counts in spike_count[neuron] (the spike counters, n_count of them). */
int bss2_output_records(const int64_t *tick, const int32_t *neuron, int64_t n,
                        const int64_t *in_tick, const int32_t *in_source, int64_t n_in,
                        const int64_t *source_l2, int32_t fpga_shift,
                        const bss2_record_layout *layout, bss2_records *out,
                        int64_t *spike_count, int64_t n_count);

/* Membrane samples (the MADC's view): sample k is taken at k * interval chip ticks, after the
 * events of that time, into samples[k * n_neurons + i] for neuron[i]; n counts those taken. */
typedef struct {
    const int32_t *neuron;
    int32_t n_neurons;
    double interval;
    double *samples;
    int64_t capacity;
    int64_t n;
} bss2_trace;

int bss2_event_run(const bss2_network *net, bss2_state *st,
                   const int64_t *in_tick, const int32_t *in_source, int64_t n_in, int64_t t_end,
                   bss2_trace *trace, bss2_spikes *spikes);

int bss2_stepped_run(const bss2_network *net, bss2_state *st,
                     const int64_t *in_tick, const int32_t *in_source, int64_t n_in, int64_t t_end,
                     int32_t substeps, const int32_t *active, int32_t n_active,
                     bss2_trace *trace, bss2_spikes *spikes);


/* The event engine's vector propagation (advance_many.c): bss2_set_simd(0) makes it take
 * the scalar code, for the tests that hold both to the same bits; both return whether the
 * vector lanes are in use (the machine has AVX2 and they are enabled). */
int bss2_set_simd(int enable);
int bss2_simd_active(void);

/* The engine's exponential and e^x - 1 near zero (exp_kernel.h) of n values: for the tests that hold it to the
 * Python definition in chipsim/exp_kernel.py. */
void bss2_exp_many(const double *x, double *out, int64_t n);
void bss2_expm1_small_many(const double *x, double *out, int64_t n);

/* The event engine's first threshold crossing (chip ticks) for n states, each row
 * (tau_mem, tau_exc, tau_inh, v0, je0, ji0, e_leak, theta, horizon, discard_from): for the
 * tests that hold the C search to the reference's, state by state. */
void bss2_first_crossing_many(const double *rows, double *out, int64_t n);

/* Timing messages before each of n event packs in the FPGA's response stream (see
 * event_timing.c): kind[i] one of BSS2_TIMING_*, value[i] its field; returns the decoder's time
 * after the last pack. */
int64_t bss2_place_packs(const int64_t *t_first, const int64_t *t_last, int64_t n, int64_t now,
                         int64_t window, int64_t sysdelta_max, int8_t *kind, int64_t *value);

/* Decode one per-entry field of n synapse quad words (word index = row * 64 + quad within one
 * hemisphere) into a (2, 256, 256) array through value_table; later words win, as sequential
 * writes. */
void bss2_synapse_scatter(const uint32_t *words, const int64_t *index, int64_t n,
                          int32_t hemisphere, const int32_t *shift, uint32_t mask,
                          const uint8_t *value_table, const int16_t *quad_columns,
                          uint8_t *values);
