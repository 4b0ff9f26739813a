/* Time-stepped engine, for networks with AdEx neurons. Neurons whose dynamics are linear
 * (LIF, or adaptation without the exponential term) step one chip tick at a time with the
 * exact propagator of their linear system: the LIF closed form, or the matrix exponential of
 * the coupled (membrane, adaptation, currents) system. Neurons with the exponential term step
 * 1/substeps ticks: exact propagators for the linear LIF part, explicit Euler for the
 * exponential and adaptation terms. Crossings are located by linear interpolation inside a
 * step. Events fall on chip-tick boundaries, which are step boundaries. Exponentials are the
 * event engine's (exp_kernel.h): inline, and the same bits on any machine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "engine_common.h"
#include "lif.h"
#include "linear_propagator.h"

#define EXP_ARG_MAX 20.0
#define FRACTION_CACHE 2 /* sub-tick propagators kept per recorded linear neuron */

/* The linear neurons' tick constants as planes indexed by neuron, so that the tick loop runs
 * over contiguous stretches of neurons (which the compiler vectorizes): the first two rows of
 * each propagator (membrane, adaptation), the current decays, the clamped membrane's
 * adaptation constants, and held = 1 where the membrane is clamped (HOLD). A neuron inside a
 * stretch that is not linear (not active, or with the exponential term) has held = 1, unit
 * decays and no adaptation: the tick leaves its state exactly as it is. */
enum { PLANE_V0, PLANE_V1, PLANE_V2, PLANE_V3, PLANE_W0, PLANE_W1, PLANE_W2, PLANE_W3, PLANE_PE,
       PLANE_PI, PLANE_PW, PLANE_LEAK, PLANE_ADAPT, PLANE_HELD, PLANE_BEFORE, PLANE_MARGIN,
       N_PLANES };

/* A neuron with the exponential term: its propagators over one sub-step and AdEx constants. */
typedef struct {
    double pm, pe, pi, ke, ki, pw;
    double e_leak, v_exp, inv_delta_t, exp_gain, adapt_a; /* exp_gain = delta_t / tau_mem */
} propagator;

static void enter_free(const bss2_network *net, bss2_state *st, int32_t n, double t)
{
    st->mode[n] = BSS2_MODE_FREE;
    if (net->fire_enable[n] && st->v[n] >= bss2_threshold(net, st, n)) {
        st->mode[n] = BSS2_MODE_PENDING;
        st->fire_time[n] = bss2_fire_tick(net, st, n, t);
    }
}

/* Sub-tick propagators of one recorded linear neuron, by fraction of a tick. */
typedef struct {
    double fraction[FRACTION_CACHE];
    double row_v[FRACTION_CACHE][LINEAR_STATE];
    int used, replace;
} fraction_cache;

/* Membrane of a linear neuron `fraction` of a tick after its stored state (which it leaves
 * alone); a held membrane stays where it is. */
static double linear_membrane_at(const bss2_network *net, const bss2_state *st, int32_t n,
                                 double fraction, fraction_cache *cache)
{
    if (fraction == 0.0 || st->mode[n] == BSS2_MODE_HOLD) {
        return st->v[n];
    }
    int slot = -1;
    for (int c = 0; c < cache->used; ++c) {
        if (cache->fraction[c] == fraction) {
            slot = c;
        }
    }
    if (slot < 0) {
        double row_w[LINEAR_STATE];
        slot = (cache->used < FRACTION_CACHE) ? cache->used++ : cache->replace;
        cache->replace = (slot + 1) % FRACTION_CACHE;
        cache->fraction[slot] = fraction;
        bss2_linear_rows(net, n, fraction, cache->row_v[slot], row_w);
    }
    const double *r = cache->row_v[slot];
    double el = net->e_leak[n];
    return el + (r[0] * (st->v[n] - el) + r[1] * st->w[n] + r[2] * st->je[n]
                 + r[3] * st->ji[n]);
}

/* One tick of the linear neurons lo..hi-1 (see the planes above): v_before keeps the
 * membranes before the tick and margin the new membrane minus theta (very negative where
 * held), whose sign marks the candidates for a crossing. */
static void step_stretch(int32_t lo, int32_t hi, double *restrict v_, double *restrict w_,
                         double *restrict je_, double *restrict ji_, const double *restrict theta,
                         const double *restrict v0, const double *restrict v1,
                         const double *restrict v2, const double *restrict v3,
                         const double *restrict w0, const double *restrict w1,
                         const double *restrict w2, const double *restrict w3,
                         const double *restrict pe, const double *restrict pi,
                         const double *restrict pw, const double *restrict leak,
                         const double *restrict adapt, const double *restrict held,
                         double *restrict before, double *restrict margin)
{
    for (int32_t n = lo; n < hi; ++n) {
        double v = v_[n], w = w_[n], je = je_[n], ji = ji_[n];
        double u = v - leak[n];
        /* pairwise sums: the membrane's chain from one tick to the next stays short */
        double vn = leak[n] + ((v0[n] * u + v1[n] * w) + (v2[n] * je + v3[n] * ji));
        double wn = (w0[n] * u + w1[n] * w) + (w2[n] * je + w3[n] * ji);
        double target = adapt[n] * u; /* a clamped membrane: w relaxes towards a (v - E) */
        double w_held = target + (w - target) * pw[n];
        double h = held[n], free = 1.0 - h; /* exact selects for finite states */
        before[n] = v;
        v_[n] = v * h + vn * free;
        w_[n] = w_held * h + wn * free;
        je_[n] = je * pe[n];
        ji_[n] = ji * pi[n];
        margin[n] = (vn - theta[n]) - h * 1e300;
    }
}

/* One sub-step of dt of a neuron with the exponential term, from time t; 1 if it crossed. */
/* Where in a step from v to vn >= theta the membrane crossed theta, as a fraction of the step
 * (linear interpolation; 0 if it did not rise). */
static inline double crossing_fraction(double v, double vn, double theta)
{
    return (vn > v) ? (theta - v) / (vn - v) : 0.0;
}

/* A tick of a free linear neuron: its new membrane from u = v - E, w and the currents by its
 * propagator rows (row_v, row_w), and its new adaptation in *wn. */
static inline double linear_tick(double leak, const double *row_v, const double *row_w,
                                 double u, double w, double je, double ji, double *wn)
{
    *wn = (row_w[0] * u + row_w[1] * w) + (row_w[2] * je + row_w[3] * ji);
    return leak + ((row_v[0] * u + row_v[1] * w) + (row_v[2] * je + row_v[3] * ji));
}

static int step_exponential(const bss2_network *net, bss2_state *st, int32_t n,
                             const propagator *p, double theta, double t, double dt)
{
    double v = st->v[n];
    int32_t mode = st->mode[n];
    int crossed = 0;
    if (mode != BSS2_MODE_HOLD) {
        double el = p->e_leak;
        double vn = el + (v - el) * p->pm + st->je[n] * p->ke - st->ji[n] * p->ki;
        double arg = (v - p->v_exp) * p->inv_delta_t;
        if (arg > EXP_ARG_MAX) {
            arg = EXP_ARG_MAX;
        }
        vn += dt * (p->exp_gain * bss2_exp(arg) - st->w[n]);
        st->v[n] = vn;
        if (mode == BSS2_MODE_FREE && net->fire_enable[n] && vn >= theta) {
            st->mode[n] = BSS2_MODE_PENDING;
            st->fire_time[n] = bss2_fire_tick(net, st, n,
                                              t + dt * crossing_fraction(v, vn, theta));
            crossed = 1;
        }
    }
    double target = p->adapt_a * (v - p->e_leak);
    st->w[n] = target + (st->w[n] - target) * p->pw;
    st->je[n] *= p->pe;
    st->ji[n] *= p->pi;
    return crossed;
}

/* Fill neuron n's planes: its tick propagator if it is linear, else the identity. */
static void init_planes(const bss2_network *net, int32_t n, int linear, double **plane)
{
    double row_v[LINEAR_STATE] = {0.0, 0.0, 0.0, 0.0}, row_w[LINEAR_STATE] = {0.0, 1.0, 0.0, 0.0};
    int adex = linear && net->adex_enable[n];
    if (linear) {
        bss2_linear_rows(net, n, 1.0, row_v, row_w);
    }
    for (int i = 0; i < LINEAR_STATE; ++i) {
        plane[PLANE_V0 + i][n] = row_v[i];
        plane[PLANE_W0 + i][n] = row_w[i];
    }
    plane[PLANE_PE][n] = linear ? bss2_exp(-1.0 / net->tau_syn_exc[n]) : 1.0;
    plane[PLANE_PI][n] = linear ? bss2_exp(-1.0 / net->tau_syn_inh[n]) : 1.0;
    plane[PLANE_PW][n] = adex ? bss2_exp(-1.0 / net->tau_adapt[n]) : 1.0;
    plane[PLANE_LEAK][n] = net->e_leak[n];
    plane[PLANE_ADAPT][n] = adex ? net->adapt_a[n] : 0.0;
    plane[PLANE_HELD][n] = 1.0;
}

static void init_exponential(const bss2_network *net, int32_t n, double dt, propagator *p)
{
    p->e_leak = net->e_leak[n];
    p->adapt_a = net->adapt_a[n];
    p->pm = bss2_exp(-dt / net->tau_mem[n]);
    p->pe = bss2_exp(-dt / net->tau_syn_exc[n]);
    p->pi = bss2_exp(-dt / net->tau_syn_inh[n]);
    p->ke = bss2_kernel(dt, 1.0 / net->tau_mem[n], 1.0 / net->tau_syn_exc[n]);
    p->ki = bss2_kernel(dt, 1.0 / net->tau_mem[n], 1.0 / net->tau_syn_inh[n]);
    p->pw = bss2_exp(-dt / net->tau_adapt[n]);
    p->v_exp = net->v_exp[n];
    p->inv_delta_t = 1.0 / net->delta_t[n];
    p->exp_gain = net->delta_t[n] / net->tau_mem[n];
}

/* Neurons closer than this inside the linear set share one stretch of the tick loop. */
#define STRETCH_GAP 8

/* One run's working state. busy: a bit per neuron that is not FREE (its events are checked
 * at every tick, in neuron order); the others only change mode by crossing threshold. */
typedef struct {
    const bss2_network *net;
    bss2_state *st;
    double *plane[N_PLANES];
    double *theta;
    uint8_t *kind; /* KIND_* of each neuron */
    uint64_t *busy;
    propagator *prop;
    int32_t *exponential; /* the neurons with the exponential term */
    int32_t n_exponential;
    int32_t n_active_words[2]; /* [first, end) of the busy words that active neurons use */
    int32_t *stretch; /* [lo, hi) pairs of the linear tick loop */
    int32_t n_stretches;
    bss2_spikes *spikes;
    bss2_spikes fifo;
} stepper;

enum { KIND_IDLE = 0, KIND_LINEAR = 1, KIND_EXPONENTIAL = 2 };

/* Bookkeeping after neuron n's mode may have changed: its busy bit and clamp flag. */
static void mode_changed(stepper *s, int32_t n)
{
    int32_t mode = s->st->mode[n];
    uint64_t bit = (uint64_t)1 << (n & 63);
    if (mode == BSS2_MODE_FREE) {
        s->busy[n >> 6] &= ~bit;
    } else {
        s->busy[n >> 6] |= bit;
    }
    if (s->kind[n] == KIND_LINEAR) {
        s->plane[PLANE_HELD][n] = (mode == BSS2_MODE_HOLD) ? 1.0 : 0.0;
    }
}

/* A crossing at time tc by a FREE neuron with its comparator on: it fires at the clock edge. */
static void crossed(stepper *s, int32_t n, double tc)
{
    s->st->mode[n] = BSS2_MODE_PENDING;
    s->st->fire_time[n] = bss2_fire_tick(s->net, s->st, n, tc);
    mode_changed(s, n);
}

/* Spike emission, reset and the backend's mode changes of neuron n at tick k. */
static int tick_events(stepper *s, int32_t n, int64_t k, int64_t t_end)
{
    const bss2_network *net = s->net;
    bss2_state *st = s->st;
    double tk = (double)k;
    if (st->mode[n] == BSS2_MODE_PENDING && st->fire_time[n] == tk) {
        int64_t arrival = k + net->latency_ticks;
        if (bss2_spikes_push(s->spikes, k, n) != BSS2_OK ||
            (arrival < t_end && net->fan_ptr[n + 1] > net->fan_ptr[n] &&
             bss2_spikes_push(&s->fifo, arrival, n) != BSS2_OK)) {
            return BSS2_ERR_MEMORY;
        }
        st->spike_index[n] += 1;
        s->theta[n] = bss2_threshold(net, st, n);
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
    mode_changed(s, n);
    return BSS2_OK;
}

static void arrive(const bss2_network *net, bss2_state *st, int32_t src)
{
    for (int32_t q = net->fan_ptr[src]; q < net->fan_ptr[src + 1]; ++q) {
        double *j = net->fan_channel[q] ? st->ji : st->je;
        j[net->fan_neuron[q]] += net->fan_amp[q];
    }
}

/* A tick of linear neuron n alone: the same operations as step_stretch's (its selects keep
 * exactly one of their operands), without the overhead of a loop over a plane stretch. */
static void step_one(stepper *s, int32_t n, double tk)
{
    bss2_state *st = s->st;
    double **p = s->plane;
    double v = st->v[n], w = st->w[n], je = st->je[n], ji = st->ji[n];
    double u = v - p[PLANE_LEAK][n];
    if (p[PLANE_HELD][n] != 0.0) {
        double target = p[PLANE_ADAPT][n] * u;
        st->w[n] = target + (w - target) * p[PLANE_PW][n];
    } else {
        const double row_v[4] = {p[PLANE_V0][n], p[PLANE_V1][n], p[PLANE_V2][n], p[PLANE_V3][n]};
        const double row_w[4] = {p[PLANE_W0][n], p[PLANE_W1][n], p[PLANE_W2][n], p[PLANE_W3][n]};
        double vn = linear_tick(p[PLANE_LEAK][n], row_v, row_w, u, w, je, ji, &st->w[n]);
        st->v[n] = vn;
        if (vn >= s->theta[n] && st->mode[n] == BSS2_MODE_FREE && s->net->fire_enable[n]) {
            crossed(s, n, tk + crossing_fraction(v, vn, s->theta[n]));
        }
    }
    st->je[n] = je * p[PLANE_PE][n];
    st->ji[n] = ji * p[PLANE_PI][n];
}

/* A tick of every linear neuron from tick tk, then the crossings it brought. */
static void step_linear(stepper *s, double tk)
{
    bss2_state *st = s->st;
    double **p = s->plane;
    for (int32_t i = 0; i < s->n_stretches; ++i) {
        int32_t lo = s->stretch[2 * i], hi = s->stretch[2 * i + 1];
        if (hi - lo == 1) {
            step_one(s, lo, tk);
            continue;
        }
        step_stretch(lo, hi, st->v, st->w, st->je, st->ji, s->theta, p[PLANE_V0], p[PLANE_V1],
                     p[PLANE_V2], p[PLANE_V3], p[PLANE_W0], p[PLANE_W1], p[PLANE_W2],
                     p[PLANE_W3], p[PLANE_PE], p[PLANE_PI], p[PLANE_PW], p[PLANE_LEAK],
                     p[PLANE_ADAPT], p[PLANE_HELD], p[PLANE_BEFORE], p[PLANE_MARGIN]);
        for (int32_t n = lo; n < hi; ++n) {
            if (p[PLANE_MARGIN][n] >= 0.0 && st->mode[n] == BSS2_MODE_FREE
                && s->kind[n] == KIND_LINEAR && s->net->fire_enable[n]) {
                crossed(s, n, tk + crossing_fraction(p[PLANE_BEFORE][n], st->v[n], s->theta[n]));
            }
        }
    }
}

/* Whether any neuron is busy (not FREE). */
static int any_busy(const stepper *s)
{
    for (int32_t word = s->n_active_words[0]; word < s->n_active_words[1]; ++word) {
        if (s->busy[word]) {
            return 1;
        }
    }
    return 0;
}

/* quiet_ticks for a single linear neuron n, its state and propagator in registers: step_one's
 * operations for a FREE neuron (not clamped), tick after tick. */
static int64_t quiet_one(stepper *s, int32_t n, int64_t k, int64_t until)
{
    bss2_state *st = s->st;
    double **p = s->plane;
    const double row_v[4] = {p[PLANE_V0][n], p[PLANE_V1][n], p[PLANE_V2][n], p[PLANE_V3][n]};
    const double row_w[4] = {p[PLANE_W0][n], p[PLANE_W1][n], p[PLANE_W2][n], p[PLANE_W3][n]};
    const double pe = p[PLANE_PE][n], pi = p[PLANE_PI][n], leak = p[PLANE_LEAK][n];
    const double theta = s->theta[n];
    const int fires = s->net->fire_enable[n] != 0;
    double v = st->v[n], w = st->w[n], je = st->je[n], ji = st->ji[n];
    for (;; ++k) {
        double wn;
        double vn = linear_tick(leak, row_v, row_w, v - leak, w, je, ji, &wn);
        je *= pe;
        ji *= pi;
        if ((vn >= theta && fires) || k + 1 >= until) {
            st->v[n] = vn;
            st->w[n] = wn;
            st->je[n] = je;
            st->ji[n] = ji;
            if (vn >= theta && fires) {
                crossed(s, n, (double)k + crossing_fraction(v, vn, theta));
            }
            return k;
        }
        v = vn;
        w = wn;
    }
}

/* Ticks k, k + 1, ... of the linear neurons while nothing else can happen (no neuron busy, no
 * arrival before `until`, no exponential neurons, no membrane samples): the tick loop's
 * operations without its checks, up to the tick that brings a crossing (its neuron is busy
 * from then on) or the one before `until`. Returns the last tick stepped. */
static int64_t quiet_ticks(stepper *s, int64_t k, int64_t until)
{
    if (s->n_stretches == 1 && s->stretch[1] - s->stretch[0] == 1) {
        return quiet_one(s, s->stretch[0], k, until);
    }
    for (;; ++k) {
        step_linear(s, (double)k);
        if (k + 1 >= until || any_busy(s)) {
            return k;
        }
    }
}

/* Stretches of the linear neurons for the tick loop; gaps up to STRETCH_GAP are bridged. */
static void find_stretches(stepper *s, int32_t nn)
{
    s->n_stretches = 0;
    int32_t lo = -1, last = -1;
    for (int32_t n = 0; n < nn; ++n) {
        if (s->kind[n] != KIND_LINEAR) {
            continue;
        }
        if (lo >= 0 && n - last > STRETCH_GAP) {
            s->stretch[2 * s->n_stretches] = lo;
            s->stretch[2 * s->n_stretches + 1] = last + 1;
            s->n_stretches += 1;
            lo = -1;
        }
        if (lo < 0) {
            lo = n;
        }
        last = n;
    }
    if (lo >= 0) {
        s->stretch[2 * s->n_stretches] = lo;
        s->stretch[2 * s->n_stretches + 1] = last + 1;
        s->n_stretches += 1;
    }
}

static int stepper_init(stepper *s, const bss2_network *net, bss2_state *st, double dt,
                        const int32_t *active, int32_t n_active, bss2_spikes *spikes)
{
    int32_t nn = net->n_neurons;
    memset(s, 0, sizeof *s);
    s->net = net;
    s->st = st;
    s->spikes = spikes;
    /* planes 4 KiB apart would alias in the load/store unit: space them by a line more */
    size_t stride = ((size_t)nn + 7) / 8 * 8 + 8;
    double *planes = (double *)malloc(sizeof(double) * stride * N_PLANES);
    s->theta = (double *)malloc(sizeof(double) * (size_t)nn + 1);
    s->kind = (uint8_t *)calloc((size_t)nn + 1, 1);
    s->busy = (uint64_t *)calloc((size_t)(nn / 64 + 1), sizeof(uint64_t));
    s->prop = (propagator *)malloc(sizeof(propagator) * (size_t)nn + 1);
    s->exponential = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn + 1);
    s->stretch = (int32_t *)malloc(sizeof(int32_t) * 2 * (size_t)nn + 1);
    s->plane[0] = planes;
    if (!planes || !s->theta || !s->kind || !s->busy || !s->prop || !s->exponential
        || !s->stretch) {
        return BSS2_ERR_MEMORY;
    }
    for (int i = 1; i < N_PLANES; ++i) {
        s->plane[i] = planes + (size_t)i * stride;
    }
    s->n_active_words[0] = nn / 64 + 1;
    for (int32_t a = 0; a < n_active; ++a) {
        int32_t n = active[a];
        if (n / 64 < s->n_active_words[0]) {
            s->n_active_words[0] = n / 64;
        }
        if (n / 64 + 1 > s->n_active_words[1]) {
            s->n_active_words[1] = n / 64 + 1;
        }
        s->kind[n] = (net->adex_enable[n] && net->exp_enable[n]) ? KIND_EXPONENTIAL : KIND_LINEAR;
    }
    for (int32_t n = 0; n < nn; ++n) {
        init_planes(net, n, s->kind[n] == KIND_LINEAR, s->plane);
        if (s->kind[n] == KIND_IDLE) {
            continue;
        }
        s->theta[n] = bss2_threshold(net, st, n);
        if (s->kind[n] == KIND_EXPONENTIAL) {
            init_exponential(net, n, dt, &s->prop[n]);
            s->exponential[s->n_exponential++] = n;
        }
        mode_changed(s, n);
    }
    find_stretches(s, nn);
    return BSS2_OK;
}

static void stepper_free(stepper *s)
{
    free(s->plane[0]);
    free(s->theta);
    free(s->kind);
    free(s->busy);
    free(s->prop);
    free(s->exponential);
    free(s->stretch);
    bss2_spikes_free(&s->fifo);
}

/* Membrane samples in [k, k + 1): linear neurons at the sample time; the others are filled in
 * at the sub-step at or before it while they step (take_exponential). Returns the end. */
static int64_t take_linear(stepper *s, bss2_trace *trace, fraction_cache *cache, double tk)
{
    int64_t j = trace->n;
    int32_t n_trace = trace->n_neurons;
    for (; j < trace->capacity && (double)j * trace->interval < tk + 1.0; ++j) {
        double fraction = (double)j * trace->interval - tk;
        double *row = trace->samples + j * n_trace;
        for (int32_t i = 0; i < n_trace; ++i) {
            int32_t n = trace->neuron[i];
            row[i] = (s->kind[n] == KIND_LINEAR)
                         ? linear_membrane_at(s->net, s->st, n, fraction, &cache[i])
                         : s->st->v[n]; /* idle: at rest; exponential: set while stepping */
        }
    }
    return j;
}

/* The sub-steps of tick tk of the neurons with the exponential term, with their samples of
 * the rows trace->n .. last-1. */
static void step_exponentials(stepper *s, bss2_trace *trace, int64_t last, double tk,
                              int32_t substeps, double dt)
{
    bss2_state *st = s->st;
    int64_t j = trace ? trace->n : 0;
    for (int32_t sub = 0; sub < substeps; ++sub) {
        double t = tk + sub * dt;
        double until = (sub + 1 < substeps) ? tk + (sub + 1) * dt : tk + 1.0;
        for (; j < last && (double)j * trace->interval < until; ++j) {
            double *row = trace->samples + j * trace->n_neurons;
            for (int32_t i = 0; i < trace->n_neurons; ++i) {
                if (s->kind[trace->neuron[i]] == KIND_EXPONENTIAL) {
                    row[i] = st->v[trace->neuron[i]];
                }
            }
        }
        for (int32_t a = 0; a < s->n_exponential; ++a) {
            int32_t n = s->exponential[a];
            if (step_exponential(s->net, st, n, &s->prop[n], s->theta[n], t, dt)) {
                mode_changed(s, n);
            }
        }
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
    if (trace) {
        trace->n = 0;
    }
    if (n_trace == 0) {
        trace = NULL;
    }
    double dt = 1.0 / (double)substeps;
    stepper s;
    fraction_cache *cache = (fraction_cache *)calloc((size_t)n_trace + 1, sizeof(fraction_cache));
    rc = stepper_init(&s, net, st, dt, active, n_active, spikes);
    if (!cache) {
        rc = BSS2_ERR_MEMORY;
    }
    int64_t fifo_head = 0, next_in = 0;
    int32_t first_word = s.n_active_words[0], end_word = s.n_active_words[1];
    for (int64_t k = 0; k < t_end && rc == BSS2_OK; ++k) {
        double tk = (double)k;
        /* 1. neuron events due at this tick, in neuron order */
        for (int32_t word = first_word; word < end_word && rc == BSS2_OK; ++word) {
            for (uint64_t bits = s.busy[word]; bits && rc == BSS2_OK; bits &= bits - 1) {
                rc = tick_events(&s, word * 64 + __builtin_ctzll(bits), k, t_end);
            }
        }
        /* 2. synaptic arrivals: on-chip routed spikes first, then external events */
        while (fifo_head < s.fifo.n && s.fifo.tick[fifo_head] == k) {
            arrive(net, st, s.fifo.neuron[fifo_head++]);
        }
        while (next_in < n_in && in_tick[next_in] == k) {
            arrive(net, st, in_source[next_in++]);
        }
        /* 3. samples, then a tick of the linear neurons and the sub-steps of the others; while
         * nothing else can happen, the ticks up to the next arrival at once */
        if (!trace && s.n_exponential == 0 && !any_busy(&s)) {
            int64_t until = t_end;
            if (fifo_head < s.fifo.n && s.fifo.tick[fifo_head] < until) {
                until = s.fifo.tick[fifo_head];
            }
            if (next_in < n_in && in_tick[next_in] < until) {
                until = in_tick[next_in];
            }
            k = quiet_ticks(&s, k, until);
            continue;
        }
        int64_t last = trace ? take_linear(&s, trace, cache, tk) : 0;
        step_linear(&s, tk);
        if (s.n_exponential > 0) {
            step_exponentials(&s, trace, last, tk, substeps, dt);
        }
        if (trace) {
            trace->n = last;
        }
    }
    if (rc == BSS2_OK) {
        for (int32_t n = 0; n < net->n_neurons; ++n) {
            st->fire_time[n] -= (double)t_end;
            st->hold_end[n] -= t_end;
            st->refractory_end[n] -= t_end;
        }
    }
    stepper_free(&s);
    free(cache);
    return rc;
}
