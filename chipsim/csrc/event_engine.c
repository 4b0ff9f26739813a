/* Exact event-driven engine: every neuron's membrane is propagated in closed form from event to
 * event; its next threshold crossing is predicted after each change and kept in a tournament
 * tree so that the earliest neuron event is found in O(log N). Ties: neuron events before
 * synaptic arrivals at the same time, lower neuron index first. Neurons that no neuron fans
 * out to, and then those that fan out to none and only these reach, are replayed chunk by
 * chunk of the inputs without the tree (see "Replayed neurons" below), with the same
 * operations and results. Membrane samples (the MADC) are closed-form
 * evaluations between events that leave the state untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "advance_many.h"
#include "engine_common.h"
#include "lif.h"
#include "simd.h"

/* A fan-out table: the entries of source s are ptr[s] .. ptr[s + 1] - 1, each adding amp[k] to
 * the current *slot[k] (a neuron's je or ji); the neurons that source s reaches are the bits of
 * touch[s * words ..], so one time's touched neurons are a union of bitsets, of which only the
 * words first_word .. last_word - 1 (the table's targets) can be set. One block holds all
 * (fan_free releases it). */
typedef struct {
    const int32_t *ptr;
    double *const *slot;
    const double *amp;
    const uint64_t *touch;
    int32_t words, first_word, last_word;
    void *block;
} fan_table;

typedef struct {
    const bss2_network *net;
    bss2_state *st;
    double t_end;
    double *t_state;
    double *next;
    bss2_rates *rate;
    uint8_t *pending_kind; /* what next[n] of a free neuron is: one of the NEXT_* below */
    double *crossing; /* the crossing behind a NEXT_FIRE time */
    int32_t *tree;
    double *tree_time;
    int32_t *slot; /* leaf of each neuron in the tree, -1 if it can have no event */
    int32_t leaves;
    bss2_spikes *spikes; /* where fire() records spikes */
    bss2_spikes fifo; /* routed spikes of looped neurons in flight: arrival tick, source */
    int64_t fifo_head;
    int replaying; /* fire() of a replayed neuron: its arrival is queued once sorted */
    fan_table loop_fan; /* the fan-outs to looped neurons (all neurons if none is replayed) */
    fan_table replay_fan; /* the fan-outs to replayed neurons */
    fan_table late_fan; /* the fan-outs to the second replay level */
    uint8_t *replayed; /* LOOPED, REPLAYED or REPLAYED_LATE */
    int32_t looped_members; /* looped neurons that can have events */
    bss2_spikes early; /* spikes of replayed neurons so far, in (tick, neuron) order */
    int64_t early_head; /* the loop's next of them to arrive somewhere (routed_arrival) */
    bss2_spikes late; /* spikes of the second replay level so far, in (tick, neuron) order */
    int64_t late_head, late_next_in; /* the second level's next replayed spike and input */
    /* event loop state across chunks */
    const int64_t *in_tick;
    const int32_t *in_source;
    int64_t n_in, next_in;
    int32_t *dirty;
    uint64_t *touched; /* bitset over neurons: one time's arrivals reach them */
    int32_t *routed; /* the sources of one time's routed arrivals */
    int32_t *moving, *held; /* touched neurons whose membrane moves to the arrivals' time, or is
                             * clamped up to it */
    bss2_trace *trace;
    double next_arrival; /* in the replay: the time of the arrival being delivered */
} engine;

/* A free neuron's next[n] is the exact threshold crossing (its event makes it PENDING), only a
 * lower bound of it (its event predicts then), or, without comparator jitter, directly the
 * fire tick of a crossing at crossing[n]: no input can land between a crossing and the next
 * clock edge (inputs arrive on ticks, neuron events first), so the crossing needs no event. */
enum { NEXT_CROSSING = 0, NEXT_BOUND = 1, NEXT_FIRE = 2 };

/* Where a neuron is taken: in the event loop, or replayed (see "Replayed neurons" below) as
 * the first level or the second. */
enum { LOOPED = 0, REPLAYED = 1, REPLAYED_LATE = 2 };

/* Tournament tree over next[] of the neurons that can have events (slot >= 0): node k holds
 * the earliest (time, neuron) of its subtree, ties to the lower neuron index (slots are in
 * neuron order, so the left child wins a tie). An update carries the changed child's
 * (neuron, time) up in registers and compares it with the sibling only, which keeps the
 * stores out of the walk's dependency chain; it stops as soon as a node is unchanged, except
 * for the winner's own path (its event was just handled), which changes all the way up. */
static void tree_update(engine *e, int32_t n)
{
    if (e->slot[n] < 0) {
        return;
    }
    int32_t node = e->leaves + e->slot[n];
    double when = e->next[n];
    double *time = e->tree_time;
    int32_t *who_at = e->tree;
    if (time[node] == when) {
        return;
    }
    time[node] = when;
    int winner_path = (who_at[1] == n);
    int32_t who = n;
    for (; node > 1; node >>= 1) {
        double sibling = time[node ^ 1];
        int32_t sibling_who = who_at[node ^ 1];
        int take_sibling = (node & 1) ? !(when < sibling) : (sibling < when);
        who = take_sibling ? sibling_who : who; /* selects, not branches: unpredictable */
        when = take_sibling ? sibling : when;
        int32_t parent = node >> 1;
        if (!winner_path && who_at[parent] == who && time[parent] == when) {
            return;
        }
        who_at[parent] = who;
        time[parent] = when;
    }
}

/* Recompute every internal node bottom-up: cheaper than many single updates after an input
 * that touched a large part of the network, with the same result. */
static void tree_rebuild(engine *e)
{
    for (int32_t node = e->leaves - 1; node >= 1; --node) {
        int32_t l = 2 * node, r = 2 * node + 1;
        int32_t win = (e->tree_time[r] < e->tree_time[l]) ? r : l;
        e->tree[node] = e->tree[win];
        e->tree_time[node] = e->tree_time[win];
    }
}

/* Set a leaf's time without propagating (callers rebuild afterwards). */
static void tree_set_leaf(engine *e, int32_t n)
{
    if (e->slot[n] >= 0) {
        e->tree_time[e->leaves + e->slot[n]] = e->next[n];
    }
}

/* Neurons that can have events: comparator enabled, or in a reset/refractory cycle. */
static int tree_init(engine *e, int32_t n_neurons)
{
    int32_t members = 0;
    for (int32_t n = 0; n < n_neurons; ++n) {
        int eventful = e->replayed[n] == LOOPED
                       && (e->net->fire_enable[n] || e->st->mode[n] != BSS2_MODE_FREE);
        e->slot[n] = eventful ? members++ : -1;
    }
    e->looped_members = members;
    e->leaves = 1;
    while (e->leaves < members) {
        e->leaves <<= 1;
    }
    e->tree = (int32_t *)malloc(sizeof(int32_t) * 2 * (size_t)e->leaves);
    e->tree_time = (double *)malloc(sizeof(double) * 2 * (size_t)e->leaves);
    if (!e->tree || !e->tree_time) {
        return BSS2_ERR_MEMORY;
    }
    for (int32_t i = 0; i < e->leaves; ++i) {
        e->tree[e->leaves + i] = -1;
        e->tree_time[e->leaves + i] = INFINITY;
    }
    for (int32_t n = 0; n < n_neurons; ++n) {
        if (e->slot[n] >= 0) {
            e->tree[e->leaves + e->slot[n]] = n;
            e->tree_time[e->leaves + e->slot[n]] = e->next[n];
        }
    }
    tree_rebuild(e);
    return BSS2_OK;
}

/* Bring neuron n's stored state forward to time t (no mode boundary is crossed). */
static void advance_state(engine *e, int32_t n, double t, int move_v)
{
    double dt = t - e->t_state[n];
    if (dt == 0.0) {
        return;
    }
    const bss2_network *net = e->net;
    bss2_state *st = e->st;
    bss2_advance_one(dt, move_v, &st->v[n], &st->je[n], &st->ji[n], net->e_leak[n],
                     &e->rate[n]);
    e->t_state[n] = t;
}

/* Advance with the reset clamp: a neuron in HOLD has its membrane clamped until hold_end and
 * free after it (the hold end needs no event of its own: nothing can happen at it). */
static void advance(engine *e, int32_t n, double t)
{
    bss2_state *st = e->st;
    if (st->mode[n] == BSS2_MODE_HOLD) {
        double hold_end = (double)st->hold_end[n];
        if (e->t_state[n] < hold_end) {
            advance_state(e, n, (t < hold_end) ? t : hold_end, 0);
        }
        if (t > hold_end) {
            advance_state(e, n, t, 1);
        }
        return;
    }
    advance_state(e, n, t, 1);
}

/* Membrane of neuron n at time t >= t_state[n] from its stored state, without storing
 * anything: the same propagation steps as advance(), on copies. */
static double membrane_at(const engine *e, int32_t n, double t)
{
    const bss2_state *st = e->st;
    double v = st->v[n], je = st->je[n], ji = st->ji[n];
    double from = e->t_state[n];
    const double el = e->net->e_leak[n];
    if (st->mode[n] == BSS2_MODE_HOLD) {
        double hold_end = (double)st->hold_end[n];
        if (from < hold_end) {
            double to = (t < hold_end) ? t : hold_end;
            if (to != from) {
                bss2_advance(to - from, 0, &v, &je, &ji, el, &e->rate[n]);
            }
            from = to;
        }
        if (!(t > hold_end)) {
            return v;
        }
    }
    if (t != from) {
        bss2_advance(t - from, 1, &v, &je, &ji, el, &e->rate[n]);
    }
    return v;
}

/* Take every membrane sample due before time t (events at a sample's time come first). */
static void sample_until(engine *e, bss2_trace *trace, double t)
{
    if (!trace) {
        return;
    }
    for (;;) {
        double ts = (double)trace->n * trace->interval;
        if (!(ts < t) || trace->n >= trace->capacity) {
            return;
        }
        double *row = trace->samples + trace->n * trace->n_neurons;
        for (int32_t i = 0; i < trace->n_neurons; ++i) {
            row[i] = membrane_at(e, trace->neuron[i], ts);
        }
        trace->n += 1;
    }
}

/* Lower bound of the time until a state (v, je) can reach theta, +inf if it never can.
 * Without inhibition, and with the leak's pull bounded linearly, the membrane stays below
 * U(t) = v + max(0, E - v) min(t/tm, 1) + je te (1 - e^{-t/te}): it never reaches theta if
 * U(inf) < theta, and not before gap / U'(0) since U is concave. */
static double crossing_lower_bound(double v, double je, double e_leak, double rate_mem,
                                   double rate_exc, double theta)
{
    double gap = theta - v;
    if (gap <= 0.0) {
        return 0.0;
    }
    double lift = (e_leak > v) ? e_leak - v : 0.0;
    if ((lift * rate_exc + je) < gap * rate_exc) { /* lift + je te < gap */
        return INFINITY;
    }
    double slope = lift * rate_mem + je;
    return (slope > 0.0) ? (gap / slope) * (1.0 - 1e-9) : INFINITY; /* margin: rounding */
}

#ifdef BSS2_HAVE_AVX2_PATH
/* predict_lazy of four neurons n[0..4) without threshold noise, crossing_lower_bound on lanes
 * (the same operations, so the same bits; a neuron whose comparator is off gets +inf). */
BSS2_AVX2 static void predict_lazy4(engine *e, const int32_t *n)
{
    const bss2_network *net = e->net;
    const bss2_state *st = e->st;
#define GATHER(a, f) _mm256_set_pd((a)[n[3]] f, (a)[n[2]] f, (a)[n[1]] f, (a)[n[0]] f)
    __m256d v = GATHER(st->v, ), je = GATHER(st->je, ), el = GATHER(net->e_leak, );
    __m256d rm = GATHER(e->rate, .mem), re = GATHER(e->rate, .exc);
    __m256d gap = _mm256_sub_pd(GATHER(net->v_threshold, ), v);
    __m256d t0 = GATHER(e->t_state, );
#undef GATHER
    const __m256d zero = _mm256_setzero_pd(), inf = _mm256_set1_pd(INFINITY);
    __m256d lift = _mm256_and_pd(_mm256_cmp_pd(el, v, _CMP_GT_OQ), _mm256_sub_pd(el, v));
    __m256d never = _mm256_cmp_pd(_mm256_add_pd(_mm256_mul_pd(lift, re), je),
                                  _mm256_mul_pd(gap, re), _CMP_LT_OQ);
    __m256d slope = _mm256_add_pd(_mm256_mul_pd(lift, rm), je);
    __m256d bound = _mm256_mul_pd(_mm256_div_pd(gap, slope), _mm256_set1_pd(1.0 - 1e-9));
    bound = _mm256_blendv_pd(inf, bound, _mm256_cmp_pd(slope, zero, _CMP_GT_OQ));
    bound = _mm256_blendv_pd(bound, inf, never);
    bound = _mm256_blendv_pd(bound, zero, _mm256_cmp_pd(gap, zero, _CMP_LE_OQ));
    double next[4], b[4];
    _mm256_storeu_pd(next, _mm256_add_pd(t0, bound));
    _mm256_storeu_pd(b, bound);
    for (int l = 0; l < 4; ++l) {
        int on = net->fire_enable[n[l]] != 0;
        e->next[n[l]] = on ? next[l] : INFINITY;
        e->pending_kind[n[l]] = (on && b[l] < INFINITY) ? NEXT_BOUND : NEXT_CROSSING;
    }
}
#endif

/* Schedule a free neuron lazily: a check at the earliest time it could cross. Inputs arriving
 * before then make the exact prediction unnecessary; the result is the same either way. */
static void predict_lazy(engine *e, int32_t n)
{
    const bss2_network *net = e->net;
    bss2_state *st = e->st;
    if (!net->fire_enable[n]) {
        e->next[n] = INFINITY;
        e->pending_kind[n] = NEXT_CROSSING;
        return;
    }
    double bound = crossing_lower_bound(st->v[n], st->je[n], net->e_leak[n], e->rate[n].mem,
                                        e->rate[n].exc, bss2_threshold(net, st, n));
    e->next[n] = e->t_state[n] + bound;
    e->pending_kind[n] = (bound < INFINITY) ? NEXT_BOUND : NEXT_CROSSING;
}

/* Predict the next threshold crossing of a free neuron. */
static void predict(engine *e, int32_t n)
{
    e->pending_kind[n] = NEXT_CROSSING;
    const bss2_network *net = e->net;
    bss2_state *st = e->st;
    double t0 = e->t_state[n];
    double tc = INFINITY;
    if (net->fire_enable[n]) {
        tc = bss2_first_crossing(st->v[n], st->je[n], st->ji[n], net->e_leak[n],
                                 bss2_threshold(net, st, n), &e->rate[n], e->t_end - t0,
                                 e->next_arrival - t0);
    }
    e->next[n] = t0 + tc;
    if (net->jitter == 0.0 && tc < INFINITY) {
        e->crossing[n] = e->next[n];
        e->next[n] = bss2_fire_tick(net, st, n, e->next[n]);
        e->pending_kind[n] = NEXT_FIRE;
    }
}

static void schedule_after_transition(engine *e, int32_t n)
{
    bss2_state *st = e->st;
    switch (st->mode[n]) {
    case BSS2_MODE_PENDING:
        e->next[n] = st->fire_time[n];
        break;
    case BSS2_MODE_HOLD: /* the refractory period outlasts the hold */
        e->next[n] = (double)st->refractory_end[n];
        break;
    case BSS2_MODE_REFRACTORY:
        e->next[n] = (double)st->refractory_end[n];
        break;
    default:
        predict_lazy(e, n);
    }
}

static int fire(engine *e, int32_t n, double tick)
{
    const bss2_network *net = e->net;
    bss2_state *st = e->st;
    if (net->hold_ticks[n] <= 0) { /* the membrane is reset below and moves from the spike on */
        advance_state(e, n, tick, 0);
    } /* else clamped from here to the hold's end: the currents decay there in one step */
    if (bss2_spikes_push(e->spikes, (int64_t)tick, n) != BSS2_OK) {
        return BSS2_ERR_MEMORY;
    }
    int64_t arrival = (int64_t)tick + net->latency_ticks;
    if (!e->replaying && arrival < (int64_t)e->t_end && net->fan_ptr[n + 1] > net->fan_ptr[n]) {
        if (bss2_spikes_push(&e->fifo, arrival, n) != BSS2_OK) {
            return BSS2_ERR_MEMORY;
        }
    }
    st->spike_index[n] += 1;
    st->v[n] = net->v_reset[n];
    st->hold_end[n] = (int64_t)tick + net->hold_ticks[n];
    st->refractory_end[n] = (int64_t)tick + net->refractory_ticks[n];
    if (net->hold_ticks[n] > 0) {
        st->mode[n] = BSS2_MODE_HOLD;
    } else if (net->refractory_ticks[n] > 0) {
        st->mode[n] = BSS2_MODE_REFRACTORY;
    } else {
        st->mode[n] = BSS2_MODE_FREE;
    }
    schedule_after_transition(e, n);
    return BSS2_OK;
}

static int neuron_event(engine *e, int32_t n)
{
    bss2_state *st = e->st;
    double t = e->next[n];
    switch (st->mode[n]) {
    case BSS2_MODE_FREE:
        if (e->pending_kind[n] == NEXT_BOUND) { /* reached the lower bound without new input */
            predict(e, n);
            break;
        }
        if (e->pending_kind[n] == NEXT_FIRE) {
            st->fire_time[n] = t;
            return fire(e, n, t);
        }
        st->mode[n] = BSS2_MODE_PENDING;
        st->fire_time[n] = bss2_fire_tick(e->net, st, n, t);
        e->next[n] = st->fire_time[n];
        break;
    case BSS2_MODE_PENDING:
        return fire(e, n, t);
    default: /* refractory end (HOLD or REFRACTORY) */
        advance(e, n, t);
        st->mode[n] = BSS2_MODE_FREE;
        predict_lazy(e, n);
    }
    return BSS2_OK;
}

/* Neuron n's own events due before time `upto` (or at it, if inclusive). */
static int own_events(engine *e, int32_t n, double upto, int inclusive)
{
    for (;;) {
        double t = e->next[n];
        if (!(t < e->t_end) || !(inclusive ? t <= upto : t < upto)) {
            return BSS2_OK;
        }
        int rc = neuron_event(e, n);
        if (rc != BSS2_OK) {
            return rc;
        }
    }
}

/* The lazy predictions of the free neurons idx[0..m), four at a time on lanes where the
 * machine has them and the thresholds are noiseless. */
static void predict_lazy_many(engine *e, const int32_t *idx, int32_t m)
{
    int32_t i = 0;
#ifdef BSS2_HAVE_AVX2_PATH
    if (bss2_simd_lanes && e->net->threshold_noise == 0.0) {
        for (; i + 4 <= m; i += 4) {
            predict_lazy4(e, idx + i);
        }
    }
#endif
    for (; i < m; ++i) {
        predict_lazy(e, idx[i]);
    }
}

/* After the arrivals of one time: the lazy prediction of every touched free neuron and, in
 * the loop, its tree leaf (one rebuild beats many walks to the root after a large input; the
 * tree is the same whatever the order of the walks). */
static void settle(engine *e, int32_t n_dirty)
{
    int32_t *free_now = e->moving; /* arrive() is done with it */
    int32_t n_free = 0;
    for (int32_t i = 0; i < n_dirty; ++i) {
        int32_t m = e->dirty[i];
        if (e->st->mode[m] == BSS2_MODE_FREE) {
            free_now[n_free++] = m;
        }
    }
    predict_lazy_many(e, free_now, n_free);
    if (e->replaying) {
        return;
    }
    int bulk = n_dirty * 8 > e->leaves;
    for (int32_t i = 0; i < n_free; ++i) {
        if (bulk) {
            tree_set_leaf(e, free_now[i]);
        } else {
            tree_update(e, free_now[i]);
        }
    }
    if (bulk) {
        tree_rebuild(e);
    }
}

/* The arrival tick of the next replayed neuron's spike, from the cursor *head into early,
 * that reaches a neuron within the run (the cursor moves past those that do not), or +inf. */
static double routed_arrival(engine *e, int64_t *head)
{
    const bss2_network *net = e->net;
    const bss2_spikes *s = &e->early;
    for (; *head < s->n; ++*head) {
        int32_t n = s->neuron[*head];
        int64_t arrival = s->tick[*head] + net->latency_ticks;
        if (arrival < (int64_t)e->t_end && net->fan_ptr[n + 1] > net->fan_ptr[n]) {
            return (double)arrival;
        }
    }
    return INFINITY;
}

/* The sources of the routed arrivals at t of both queues, in the order the spikes were
 * emitted (same arrival tick, same emission tick: by neuron); at most one per neuron. */
static int32_t routed_sources(engine *e, double t, int32_t *out)
{
    int32_t m = 0;
    for (;;) {
        const bss2_spikes *a = &e->fifo;
        int looped = e->fifo_head < a->n && (double)a->tick[e->fifo_head] == t;
        int early = routed_arrival(e, &e->early_head) == t;
        if (!looped && !early) {
            return m;
        }
        if (looped && (!early || a->neuron[e->fifo_head] < e->early.neuron[e->early_head])) {
            out[m++] = a->neuron[e->fifo_head++];
        } else {
            out[m++] = e->early.neuron[e->early_head++];
        }
    }
}

/* The arrivals at t from the routed sources routed[0..n_routed), then from the inputs
 * [first, stop), through `fan`, with the loop's operations on each neuron: the touched neurons
 * (in the replay: after their own events due by t) move to t, all at once, since no arrival
 * depends on another's propagation; then the amplitudes add up in arrival and fan order, and
 * the touched free neurons are predicted lazily. */
static int arrive(engine *e, const fan_table *fan, const int32_t *routed, int32_t n_routed,
                  int64_t first, int64_t stop, double t)
{
    bss2_state *st = e->st;
    const int64_t n_arrivals = n_routed + (stop - first);
    const int32_t w0 = fan->first_word, w1 = fan->last_word;
    for (int32_t w = w0; w < w1; ++w) {
        e->touched[w] = 0;
    }
    for (int64_t i = 0; i < n_arrivals; ++i) {
        int32_t src = (i < n_routed) ? routed[i] : e->in_source[first + i - n_routed];
        const uint64_t *bits = fan->touch + (size_t)src * (size_t)fan->words;
        for (int32_t w = w0; w < w1; ++w) {
            e->touched[w] |= bits[w];
        }
    }
    int32_t n_dirty = 0, n_moving = 0, n_held = 0;
    for (int32_t w = w0; w < w1; ++w) {
        for (uint64_t bits = e->touched[w]; bits; bits &= bits - 1) {
            int32_t n = w * 64 + __builtin_ctzll(bits);
            e->dirty[n_dirty++] = n;
            if (e->replaying) {
                e->next_arrival = t;
                int rc = own_events(e, n, t, 1);
                e->next_arrival = INFINITY;
                if (rc != BSS2_OK) {
                    return rc;
                }
            }
            double from = e->t_state[n];
            if (from == t) {
                continue;
            }
            /* advance()'s cases: clamped all the way, free all the way, or both */
            double hold_end = (double)st->hold_end[n];
            if (st->mode[n] != BSS2_MODE_HOLD || from >= hold_end) {
                e->moving[n_moving++] = n;
            } else if (t <= hold_end) {
                e->held[n_held++] = n;
            } else {
                advance(e, n, t);
            }
        }
    }
    if (n_moving > 0) {
        bss2_advance_many(e->moving, n_moving, 1, t, e->t_state, st->v, st->je, st->ji,
                          e->net->e_leak, e->rate);
    }
    if (n_held > 0) {
        bss2_advance_many(e->held, n_held, 0, t, e->t_state, st->v, st->je, st->ji,
                          e->net->e_leak, e->rate);
    }
    for (int64_t i = 0; i < n_arrivals; ++i) {
        int32_t src = (i < n_routed) ? routed[i] : e->in_source[first + i - n_routed];
        for (int32_t k = fan->ptr[src]; k < fan->ptr[src + 1]; ++k) {
            *fan->slot[k] += fan->amp[k];
        }
    }
    settle(e, n_dirty);
    return BSS2_OK;
}

/* The event loop over the looped neurons up to (not including) time `limit`; nothing to do
 * where there are none (every neuron replayed) and no membrane is sampled. */
static int loop_until(engine *e, double limit)
{
    if (!e->trace && e->looped_members == 0 && e->loop_fan.ptr[e->net->n_sources] == 0) {
        return BSS2_OK;
    }
    for (;;) {
        double t_arr = INFINITY;
        if (e->fifo_head < e->fifo.n) {
            t_arr = (double)e->fifo.tick[e->fifo_head];
        }
        double t_early = routed_arrival(e, &e->early_head);
        if (t_early < t_arr) {
            t_arr = t_early;
        }
        if (e->next_in < e->n_in && (double)e->in_tick[e->next_in] < t_arr) {
            t_arr = (double)e->in_tick[e->next_in];
        }
        int32_t n = e->tree[1]; /* -1 only if no neuron can have events */
        double t_n = (n >= 0) ? e->next[n] : INFINITY;
        if (e->trace) {
            double t_next = (t_n < t_arr) ? t_n : t_arr;
            sample_until(e, e->trace, (t_next < e->t_end) ? t_next : e->t_end);
        }
        if (t_n < e->t_end && t_n <= t_arr && t_n < limit) {
            int rc = neuron_event(e, n);
            if (rc != BSS2_OK) {
                return rc;
            }
            tree_update(e, n);
            continue;
        }
        if (!(t_arr < e->t_end && t_arr < limit)) {
            return BSS2_OK;
        }
        int32_t n_routed = routed_sources(e, t_arr, e->routed);
        int64_t first = e->next_in;
        while (e->next_in < e->n_in && (double)e->in_tick[e->next_in] == t_arr) {
            e->next_in += 1;
        }
        int rc = arrive(e, &e->loop_fan, e->routed, n_routed, first, e->next_in, t_arr);
        if (rc != BSS2_OK) {
            return rc;
        }
    }
}

/* Replayed neurons: those no neuron fans out to (in a feedforward network, every neuron fed
 * by external inputs only) depend on nothing but their own arrivals, all known in advance.
 * Each is taken on its own through a chunk of the inputs with exactly the operations the
 * event loop would perform on it (its events before its arrivals at the same time, an
 * advance before the first amplitude of a time, amplitudes in input and fan order, the lazy
 * prediction after them), which leaves the tree and the loop to the other neurons; their
 * spikes reach the loop as routed arrivals, sorted as the loop would have emitted them. A
 * second level (a feedforward network's output layer: neurons that reach no neuron and that
 * only first-level neurons and inputs reach) is replayed the same way through the first
 * level's spikes, known up to the chunk's end; with no neuron left, the loop has nothing to
 * do. */
/* Sort keys (tick - first tick) * 2^neuron_bits + neuron by their low `bits` bits: least
 * significant digit first, in as few passes of at most RADIX_BITS bits as the key needs (a
 * chunk's keys span about 28 bits: three passes), alternating between the keys and a buffer. */
#define RADIX_BITS 11
static int radix_sort(uint64_t *key, int64_t m, int bits)
{
    uint64_t *tmp = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)m);
    if (!tmp) {
        return BSS2_ERR_MEMORY;
    }
    int passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
    int width = passes ? (bits + passes - 1) / passes : 0;
    uint64_t digit = ((uint64_t)1 << width) - 1;
    uint64_t *from = key, *to = tmp;
    for (int p = 0; p < passes; ++p) {
        int shift = p * width;
        int64_t count[((size_t)1 << RADIX_BITS) + 1];
        memset(count, 0, sizeof(int64_t) * ((size_t)digit + 2));
        for (int64_t i = 0; i < m; ++i) {
            count[((from[i] >> shift) & digit) + 1] += 1;
        }
        for (uint64_t d = 0; d <= digit; ++d) {
            count[d + 1] += count[d];
        }
        for (int64_t i = 0; i < m; ++i) {
            to[count[(from[i] >> shift) & digit]++] = from[i];
        }
        uint64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != key) {
        memcpy(key, from, sizeof(uint64_t) * (size_t)m);
    }
    free(tmp);
    return BSS2_OK;
}

/* The chunk's spikes of replayed neurons in emission order, (tick, neuron), appended to
 * `into` (early or late). */
static int queue_sorted(engine *e, bss2_spikes *chunk, bss2_spikes *into)
{
    const bss2_network *net = e->net;
    int64_t m = chunk->n;
    if (m == 0) {
        return BSS2_OK;
    }
    int neuron_bits = 1;
    while (((int64_t)1 << neuron_bits) < net->n_neurons) {
        neuron_bits += 1;
    }
    int64_t first = chunk->tick[0], last = chunk->tick[0];
    for (int64_t i = 1; i < m; ++i) {
        first = (chunk->tick[i] < first) ? chunk->tick[i] : first;
        last = (chunk->tick[i] > last) ? chunk->tick[i] : last;
    }
    int bits = neuron_bits;
    while (bits < 64 && ((uint64_t)(last - first) >> (bits - neuron_bits)) != 0) {
        bits += 1;
    }
    uint64_t *key = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)m);
    if (!key) {
        return BSS2_ERR_MEMORY;
    }
    for (int64_t i = 0; i < m; ++i) {
        key[i] = ((uint64_t)(chunk->tick[i] - first) << neuron_bits) | (uint64_t)chunk->neuron[i];
    }
    int rc = radix_sort(key, m, bits);
    uint64_t neuron_mask = ((uint64_t)1 << neuron_bits) - 1;
    for (int64_t i = 0; i < m && rc == BSS2_OK; ++i) {
        int64_t tick = first + (int64_t)(key[i] >> neuron_bits);
        rc = bss2_spikes_push(into, tick, (int32_t)(key[i] & neuron_mask));
    }
    free(key);
    chunk->n = 0;
    return rc;
}

/* The start of a replay level's chunk: fire() records into `chunk`; returns the loop's spike
 * list, which replay_finish restores. */
static bss2_spikes *replay_begin(engine *e, bss2_spikes *chunk)
{
    bss2_spikes *out = e->spikes;
    e->spikes = chunk;
    e->replaying = 1;
    return out;
}

/* The end of a replay level's chunk: its neurons' own events up to `limit`, the engine back
 * to the loop's spike list `out`, and the level's spikes sorted into `into`. */
static int replay_finish(engine *e, int rc, uint8_t level, double limit, bss2_spikes *out,
                         bss2_spikes *chunk, bss2_spikes *into)
{
    for (int32_t n = 0; n < e->net->n_neurons && rc == BSS2_OK; ++n) {
        if (e->replayed[n] == level) {
            rc = own_events(e, n, limit, 0);
        }
    }
    e->spikes = out;
    e->replaying = 0;
    return (rc == BSS2_OK) ? queue_sorted(e, chunk, into) : rc;
}

/* Replay the replayed neurons through inputs [first, end), time by time (as the loop
 * delivers them, without the tree: a neuron's own events are taken when an input reaches
 * it, and the rest at the end), and their own events up to `limit`. */
static int replay_chunk(engine *e, bss2_spikes *chunk, int64_t first, int64_t end,
                        double limit)
{
    bss2_spikes *out = replay_begin(e, chunk);
    int rc = BSS2_OK;
    for (int64_t i = first; i < end && rc == BSS2_OK;) {
        int64_t stop = i + 1;
        while (stop < end && e->in_tick[stop] == e->in_tick[i]) {
            stop += 1;
        }
        rc = arrive(e, &e->replay_fan, NULL, 0, i, stop, (double)e->in_tick[i]);
        i = stop;
    }
    return replay_finish(e, rc, REPLAYED, limit, out, chunk, &e->early);
}

/* The second replay level: neurons that only replayed neurons and inputs reach, and that reach
 * none (a feedforward network's output layer), taken like the first through the arrivals
 * before `limit`: the replayed neurons' spikes (all known up to there) and the inputs, time
 * by time in the loop's order (routed arrivals in emission order, then inputs). */
static int replay_late(engine *e, bss2_spikes *chunk, double limit)
{
    bss2_spikes *out = replay_begin(e, chunk);
    int rc = BSS2_OK;
    while (rc == BSS2_OK) {
        double t = routed_arrival(e, &e->late_head);
        if (e->late_next_in < e->n_in && (double)e->in_tick[e->late_next_in] < t) {
            t = (double)e->in_tick[e->late_next_in];
        }
        if (!(t < limit)) {
            break;
        }
        int32_t n_routed = 0;
        while (routed_arrival(e, &e->late_head) == t) {
            e->routed[n_routed++] = e->early.neuron[e->late_head++];
        }
        int64_t first = e->late_next_in;
        while (e->late_next_in < e->n_in && (double)e->in_tick[e->late_next_in] == t) {
            e->late_next_in += 1;
        }
        rc = arrive(e, &e->late_fan, e->routed, n_routed, first, e->late_next_in, t);
    }
    return replay_finish(e, rc, REPLAYED_LATE, limit, out, chunk, &e->late);
}

/* The entries of the network's fan-outs whose target has replayed[n] == keep, in order, as a
 * table of its own over the currents of state st (one block; fan_free releases it). */
static int filter_fan(const bss2_network *net, bss2_state *st, const uint8_t *replayed,
                      uint8_t keep, fan_table *out)
{
    size_t entries = (size_t)net->fan_ptr[net->n_sources] + 1;
    size_t sources = (size_t)net->n_sources + 1;
    int32_t words = (net->n_neurons + 63) / 64;
    size_t touch_words = (size_t)net->n_sources * (size_t)words;
    char *block = (char *)calloc(1, touch_words * sizeof(uint64_t)
                                        + entries * (sizeof(double) + sizeof(double *))
                                        + sources * sizeof(int32_t));
    if (!block) {
        return BSS2_ERR_MEMORY;
    }
    uint64_t *touch = (uint64_t *)block;
    double *amp = (double *)(touch + touch_words);
    double **slot = (double **)(amp + entries);
    int32_t *ptr = (int32_t *)(slot + entries);
    int32_t kept = 0, first_word = words, last_word = 0;
    for (int32_t src = 0; src < net->n_sources; ++src) {
        ptr[src] = kept;
        for (int32_t k = net->fan_ptr[src]; k < net->fan_ptr[src + 1]; ++k) {
            int32_t n = net->fan_neuron[k];
            if (replayed[n] == keep) {
                slot[kept] = (net->fan_channel[k] == 0) ? &st->je[n] : &st->ji[n];
                amp[kept] = net->fan_amp[k];
                touch[(size_t)src * (size_t)words + (size_t)(n / 64)] |= (uint64_t)1 << (n % 64);
                first_word = (n / 64 < first_word) ? n / 64 : first_word;
                last_word = (n / 64 + 1 > last_word) ? n / 64 + 1 : last_word;
                kept += 1;
            }
        }
    }
    ptr[net->n_sources] = kept;
    *out = (fan_table){ptr, slot, amp, touch, words, first_word, last_word, block};
    return BSS2_OK;
}

static void fan_free(fan_table *fan)
{
    free(fan->block);
    fan->block = NULL;
}

/* Which neurons to replay (none while membranes are sampled: the samples interleave with
 * the loop's events): those no neuron reaches, then those that reach no neuron and only these
 * reach; and the fan tables of the loop and of the two levels. */
static int plan_replay(engine *e)
{
    const bss2_network *net = e->net;
    int32_t nn = net->n_neurons;
    uint8_t *level = e->replayed;
    if (!e->trace) {
        for (int32_t n = 0; n < nn; ++n) {
            level[n] = REPLAYED;
        }
        for (int32_t k = 0; k < net->fan_ptr[nn]; ++k) { /* sources 0..nn-1: the neurons */
            level[net->fan_neuron[k]] = LOOPED;
        }
        for (int32_t n = 0; n < nn; ++n) {
            if (level[n] == LOOPED && net->fan_ptr[n + 1] == net->fan_ptr[n]) {
                level[n] = REPLAYED_LATE;
            }
        }
        for (int32_t src = 0; src < nn; ++src) { /* a looped neuron reaches it: looped too */
            if (level[src] != LOOPED) {
                continue; /* the others reach no second-level neuron */
            }
            for (int32_t k = net->fan_ptr[src]; k < net->fan_ptr[src + 1]; ++k) {
                if (level[net->fan_neuron[k]] == REPLAYED_LATE) {
                    level[net->fan_neuron[k]] = LOOPED;
                }
            }
        }
    }
    int rc = filter_fan(net, e->st, level, LOOPED, &e->loop_fan);
    if (rc == BSS2_OK && !e->trace) {
        rc = filter_fan(net, e->st, level, REPLAYED, &e->replay_fan);
    }
    if (rc == BSS2_OK && !e->trace) {
        rc = filter_fan(net, e->st, level, REPLAYED_LATE, &e->late_fan);
    }
    return rc;
}

/* Merge the replayed neurons' spikes `from` into `spikes` (both in (tick, neuron) order, no
 * neuron in both): in place, from the back of the longer list grown to hold both (growing the
 * short one would copy the long one into fresh memory), which then becomes spikes. */
static int merge_spikes(bss2_spikes *from, bss2_spikes *spikes)
{
    if (from->n == 0) {
        return BSS2_OK;
    }
    bss2_spikes *dst = (from->n > spikes->n) ? from : spikes;
    const bss2_spikes *src = (dst == from) ? spikes : from;
    int64_t i = dst->n - 1, j = src->n - 1, k = dst->n + src->n - 1;
    if (bss2_spikes_reserve(dst, k + 1) != BSS2_OK) {
        return BSS2_ERR_MEMORY;
    }
    dst->n = k + 1;
    for (; j >= 0; --k) {
        int take_dst = i >= 0
                       && (dst->tick[i] > src->tick[j]
                           || (dst->tick[i] == src->tick[j] && dst->neuron[i] > src->neuron[j]));
        if (take_dst) {
            dst->tick[k] = dst->tick[i];
            dst->neuron[k] = dst->neuron[i--];
        } else {
            dst->tick[k] = src->tick[j];
            dst->neuron[k] = src->neuron[j--];
        }
    }
    if (dst == from) {
        bss2_spikes_free(spikes);
        *spikes = *from;
        *from = (bss2_spikes){0};
    } else {
        bss2_spikes_free(from);
    }
    return BSS2_OK;
}

/* Inputs per replay chunk (extended to the end of a tick's inputs). */
#define CHUNK_INPUTS 1024

int bss2_event_run(const bss2_network *net, bss2_state *st,
                   const int64_t *in_tick, const int32_t *in_source, int64_t n_in, int64_t t_end,
                   bss2_trace *trace, bss2_spikes *spikes)
{
    int rc = bss2_check_inputs(net, in_tick, in_source, n_in, t_end);
    if (rc != BSS2_OK) {
        return rc;
    }
    if (trace && trace->n_neurons > 0) {
        if (!(trace->interval > 0.0)) {
            return BSS2_ERR_PARAMETER;
        }
        trace->n = 0;
    } else {
        trace = NULL;
    }
    int32_t nn = net->n_neurons;
    engine e;
    memset(&e, 0, sizeof(e));
    e.next_arrival = INFINITY;
    bss2_spikes chunk = {0}; /* one chunk's spikes of replayed neurons */
    e.net = net;
    e.st = st;
    e.t_end = (double)t_end;
    e.spikes = spikes;
    e.trace = trace;
    e.in_tick = in_tick;
    e.in_source = in_source;
    e.n_in = n_in;
    e.t_state = (double *)calloc((size_t)nn, sizeof(double));
    e.next = (double *)malloc(sizeof(double) * (size_t)nn);
    e.rate = (bss2_rates *)malloc(sizeof(bss2_rates) * (size_t)nn);
    e.slot = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.pending_kind = (uint8_t *)calloc((size_t)nn, 1);
    e.crossing = (double *)malloc(sizeof(double) * (size_t)nn);
    e.dirty = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.touched = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)((nn + 63) / 64 + 1));
    e.moving = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.held = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.routed = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.replayed = (uint8_t *)calloc((size_t)nn, 1);
    rc = BSS2_OK;
    if (!e.t_state || !e.next || !e.rate || !e.slot || !e.pending_kind || !e.crossing || !e.dirty
        || !e.touched || !e.moving || !e.held
        || !e.routed || !e.replayed) {
        rc = BSS2_ERR_MEMORY;
        goto done;
    }
    rc = plan_replay(&e);
    if (rc != BSS2_OK) {
        goto done;
    }
    for (int32_t n = 0; n < nn; ++n) {
        bss2_rates_init(&e.rate[n], net->tau_mem[n], net->tau_syn_exc[n], net->tau_syn_inh[n]);
    }
    for (int32_t n = 0; n < nn; ++n) {
        schedule_after_transition(&e, n);
    }
    rc = tree_init(&e, nn);
    /* chunks of inputs: replayed neurons up to the next chunk's first tick, then the loop */
    for (int64_t first = 0; rc == BSS2_OK;) {
        int64_t end = (first + CHUNK_INPUTS < n_in) ? first + CHUNK_INPUTS : n_in;
        while (end < n_in && end > 0 && in_tick[end] == in_tick[end - 1]) {
            end += 1;
        }
        double limit = (end < n_in) ? (double)in_tick[end] : e.t_end;
        if (e.replay_fan.ptr) { /* no replay table while membranes are sampled */
            rc = replay_chunk(&e, &chunk, first, end, limit);
            if (rc == BSS2_OK && e.late_fan.ptr[net->n_sources] > 0) {
                rc = replay_late(&e, &chunk, limit);
            }
        }
        if (rc == BSS2_OK) {
            rc = loop_until(&e, limit);
        }
        if (end >= n_in) {
            break;
        }
        first = end;
    }
    if (rc != BSS2_OK) {
        goto done;
    }
    for (int32_t n = 0; n < nn; ++n) {
        if (st->mode[n] == BSS2_MODE_FREE && e.pending_kind[n] == NEXT_FIRE
            && e.crossing[n] < e.t_end) { /* crossed, its clock edge in the next run */
            st->mode[n] = BSS2_MODE_PENDING;
            st->fire_time[n] = e.next[n];
        }
        advance(&e, n, e.t_end);
        if (st->mode[n] == BSS2_MODE_HOLD && (double)st->hold_end[n] < e.t_end) {
            st->mode[n] = BSS2_MODE_REFRACTORY;
        }
        st->fire_time[n] -= e.t_end;
        st->hold_end[n] -= t_end;
        st->refractory_end[n] -= t_end;
    }
    rc = merge_spikes(&e.early, spikes);
    if (rc == BSS2_OK) {
        rc = merge_spikes(&e.late, spikes);
    }
done:
    free(e.t_state);
    free(e.next);
    free(e.rate);
    free(e.slot);
    free(e.pending_kind);
    free(e.crossing);
    free(e.tree);
    free(e.tree_time);
    free(e.dirty);
    free(e.touched);
    free(e.moving);
    free(e.held);
    free(e.routed);
    free(e.replayed);
    bss2_spikes_free(&e.fifo);
    bss2_spikes_free(&e.early);
    bss2_spikes_free(&e.late);
    bss2_spikes_free(&chunk);
    fan_free(&e.loop_fan);
    fan_free(&e.replay_fan);
    fan_free(&e.late_fan);
    return rc;
}

void bss2_spikes_free(bss2_spikes *spikes)
{
    free(spikes->tick);
    free(spikes->neuron);
    spikes->tick = NULL;
    spikes->neuron = NULL;
    spikes->n = spikes->capacity = 0;
}

void bss2_free(void *buffer)
{
    free(buffer);
}
