/* Exact event-driven engine: every neuron's membrane is propagated in closed form from event to
 * event; its next threshold crossing is predicted after each change and kept in a tournament
 * tree so that the earliest neuron event is found in O(log N). Ties: neuron events before
 * synaptic arrivals at the same time, lower neuron index first. Membrane samples (the MADC)
 * are closed-form evaluations between events that leave the state untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "engine_common.h"
#include "lif.h"

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
    bss2_spikes *spikes;
    bss2_spikes fifo; /* routed spikes in flight: arrival tick and source neuron */
    int64_t fifo_head;
} engine;

/* A free neuron's next[n] is the exact threshold crossing (its event makes it PENDING), only a
 * lower bound of it (its event predicts then), or, without comparator jitter, directly the
 * fire tick of a crossing at crossing[n]: no input can land between a crossing and the next
 * clock edge (inputs arrive on ticks, neuron events first), so the crossing needs no event. */
enum { NEXT_CROSSING = 0, NEXT_BOUND = 1, NEXT_FIRE = 2 };

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
        int eventful = e->net->fire_enable[n] || e->st->mode[n] != BSS2_MODE_FREE;
        e->slot[n] = eventful ? members++ : -1;
    }
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
    bss2_advance(dt, move_v, &st->v[n], &st->je[n], &st->ji[n], net->e_leak[n], &e->rate[n]);
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
                                 bss2_threshold(net, st, n), &e->rate[n], e->t_end - t0);
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
    advance_state(e, n, tick, 0); /* the membrane is reset below */
    if (bss2_spikes_push(e->spikes, (int64_t)tick, n) != BSS2_OK) {
        return BSS2_ERR_MEMORY;
    }
    int64_t arrival = (int64_t)tick + net->latency_ticks;
    if (arrival < (int64_t)e->t_end && net->fan_ptr[n + 1] > net->fan_ptr[n]) {
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

static void deliver(engine *e, int32_t src, double t, int32_t *dirty, int32_t *n_dirty,
                    uint8_t *is_dirty)
{
    const bss2_network *net = e->net;
    bss2_state *st = e->st;
    const int32_t end = net->fan_ptr[src + 1];
    for (int32_t k = net->fan_ptr[src]; k < end; ++k) {
        int32_t n = net->fan_neuron[k];
        if (e->t_state[n] != t) { /* later inputs of the same time find it there */
            advance(e, n, t);
        }
        if (net->fan_channel[k] == 0) {
            st->je[n] += net->fan_amp[k];
        } else {
            st->ji[n] += net->fan_amp[k];
        }
        if (!is_dirty[n]) {
            is_dirty[n] = 1;
            dirty[(*n_dirty)++] = n;
        }
    }
}

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
    e.net = net;
    e.st = st;
    e.t_end = (double)t_end;
    e.spikes = spikes;
    e.t_state = (double *)calloc((size_t)nn, sizeof(double));
    e.next = (double *)malloc(sizeof(double) * (size_t)nn);
    e.rate = (bss2_rates *)malloc(sizeof(bss2_rates) * (size_t)nn);
    e.slot = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    e.pending_kind = (uint8_t *)calloc((size_t)nn, 1);
    e.crossing = (double *)malloc(sizeof(double) * (size_t)nn);
    int32_t *dirty = (int32_t *)malloc(sizeof(int32_t) * (size_t)nn);
    uint8_t *is_dirty = (uint8_t *)calloc((size_t)nn, 1);
    rc = BSS2_OK;
    if (!e.t_state || !e.next || !e.rate || !e.slot || !e.pending_kind || !e.crossing || !dirty
        || !is_dirty) {
        rc = BSS2_ERR_MEMORY;
        goto done;
    }
    for (int32_t n = 0; n < nn; ++n) {
        bss2_rates_init(&e.rate[n], net->tau_mem[n], net->tau_syn_exc[n], net->tau_syn_inh[n]);
    }
    for (int32_t n = 0; n < nn; ++n) {
        schedule_after_transition(&e, n);
    }
    rc = tree_init(&e, nn);
    if (rc != BSS2_OK) {
        goto done;
    }
    int64_t next_in = 0;
    for (;;) {
        double t_arr = INFINITY;
        if (e.fifo_head < e.fifo.n) {
            t_arr = (double)e.fifo.tick[e.fifo_head];
        }
        if (next_in < n_in && (double)in_tick[next_in] < t_arr) {
            t_arr = (double)in_tick[next_in];
        }
        int32_t n = e.tree[1]; /* -1 only if no neuron can have events */
        double t_n = (n >= 0) ? e.next[n] : INFINITY;
        if (trace) {
            double t_next = (t_n < t_arr) ? t_n : t_arr;
            sample_until(&e, trace, (t_next < e.t_end) ? t_next : e.t_end);
        }
        if (t_n < e.t_end && t_n <= t_arr) {
            rc = neuron_event(&e, n);
            if (rc != BSS2_OK) {
                goto done;
            }
            tree_update(&e, n);
            continue;
        }
        if (!(t_arr < e.t_end)) {
            break;
        }
        int32_t n_dirty = 0;
        while (e.fifo_head < e.fifo.n && (double)e.fifo.tick[e.fifo_head] == t_arr) {
            deliver(&e, e.fifo.neuron[e.fifo_head], t_arr, dirty, &n_dirty, is_dirty);
            e.fifo_head += 1;
        }
        while (next_in < n_in && (double)in_tick[next_in] == t_arr) {
            deliver(&e, in_source[next_in], t_arr, dirty, &n_dirty, is_dirty);
            next_in += 1;
        }
        int bulk = n_dirty * 8 > e.leaves; /* one rebuild beats many walks to the root */
        for (int32_t i = 0; i < n_dirty; ++i) {
            int32_t m = dirty[i];
            is_dirty[m] = 0;
            if (st->mode[m] == BSS2_MODE_FREE) {
                predict_lazy(&e, m);
                if (bulk) {
                    tree_set_leaf(&e, m);
                } else {
                    tree_update(&e, m);
                }
            }
        }
        if (bulk) {
            tree_rebuild(&e);
        }
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
done:
    free(e.t_state);
    free(e.next);
    free(e.rate);
    free(e.slot);
    free(e.pending_kind);
    free(e.crossing);
    free(e.tree);
    free(e.tree_time);
    bss2_spikes_free(&e.fifo);
    free(dirty);
    free(is_dirty);
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
