/* On-chip first-spike-time learning (Göltz, Kriener et al. 2021) for a network with one hidden
 * layer mapped as in chip mode (host/chip/mapping.py): the FPGA's event ring (event_ring.h)
 * delivers every injected input spike, every hidden and label spike and the host's sample
 * markers; per sample this program takes the first spike times, computes the loss gradient and
 * the exact spike-time gradients in fixed point (fsgrad.h), accumulates them over the batch
 * and, at the batch's END marker, either bumps the weights of silent neurons (the paper's
 * rule) or takes an Adam step, then writes the rounded signed 6-bit weights to the synapses:
 * the input layer (this PPU's hemisphere) with vector stores, the label layer (the other
 * hemisphere) through the omnibus with words whose layout the host provides.
 *
 * Input replicas (channels i with the same i / replicas carry the same spike time) share one
 * gradient and one Adam state: their gradients are identical, so this is exact, and it divides
 * the per-sample work of the input layer by the replica count. Weights stay per channel.
 *
 * Formats: times Q16.16 in units of tau_syn, weights/gradients/errors Q8.24, Adam's first
 * moment Q8.24, its second moment Q16.48 (uint64), learning rate Q0.32. */
#include <stdint.h>

#include "event_ring.h"
#include "fsgrad.h"
#include "fxv.h"
#include "onchip.h"
#include "ppu.h"

#define MAX_IN 64
#define MAX_GROUPS 16
#define MAX_HIDDEN 128
#define MAX_OUT 16

/* --- parameters set by the host in the image (host/onchip/program.py) ------------------- */
PPU_PARAMETER uint32_t n_in = 25;       /* input channels, bias channels included */
PPU_PARAMETER uint32_t replicas = 5;    /* channels per group (same spike time) */
PPU_PARAMETER uint32_t n_hidden = 120;
PPU_PARAMETER uint32_t n_out = 3;
PPU_PARAMETER uint32_t ticks_recip = 5726623; /* 2^32 / (FPGA ticks per tau_syn) */
PPU_PARAMETER uint32_t window_ticks = 22500;  /* later events do not belong to the sample */
PPU_PARAMETER int32_t c_q16 = 65536;          /* threshold of the backward model */
PPU_PARAMETER int32_t xi_q16 = 13107;
PPU_PARAMETER int32_t alpha_q16 = 328;
PPU_PARAMETER int32_t beta_q16 = 65536;
PPU_PARAMETER int32_t max_dw_q24 = 3355443;
PPU_PARAMETER uint32_t max_missing_hidden_q16 = 19661; /* bump above this silent fraction */
PPU_PARAMETER uint32_t max_missing_label_q16 = 3277;
PPU_PARAMETER int32_t bump_q24 = 8389;
PPU_PARAMETER int32_t w_limit_q24 = 35232153; /* 63 / scale */
PPU_PARAMETER int32_t scale = 30;              /* hardware weight = round(scale w) */
PPU_PARAMETER uint32_t beta1_q32 = 3865470566u;  /* 0.9 */
PPU_PARAMETER uint32_t beta2_q32 = 4290672329u;  /* 0.999 */
PPU_PARAMETER uint32_t idle_cycles = 2000;     /* first pause after an empty poll of the ring */
PPU_PARAMETER uint32_t idle_max_cycles = 64000; /* pauses double up to this while it stays empty */
/* extmem byte addresses (PPU view) of the arrays the host laid out */
PPU_PARAMETER uint32_t ring_at = 0;
PPU_PARAMETER uint32_t control_at = 0;
PPU_PARAMETER uint32_t table_at = 0;     /* label table */
PPU_PARAMETER uint32_t w1_at = 0;        /* int32 [n_in][n_hidden] */
PPU_PARAMETER uint32_t w2_at = 0;        /* int32 [n_hidden][n_out] */
PPU_PARAMETER uint32_t w1g_at = 0;       /* int32 [groups][n_hidden]: sum of each group's replicas */
PPU_PARAMETER uint32_t g1_at = 0;        /* int32 [groups][n_hidden]: gradients, then m */
PPU_PARAMETER uint32_t m1_at = 0;
PPU_PARAMETER uint32_t v1_at = 0;        /* uint64 [groups][n_hidden] */
PPU_PARAMETER uint32_t g2_at = 0;        /* int32 [n_hidden][n_out] */
PPU_PARAMETER uint32_t m2_at = 0;
PPU_PARAMETER uint32_t v2_at = 0;        /* uint64 [n_hidden][n_out] */
PPU_PARAMETER uint32_t hw1_at = 0;       /* int8 [n_in][n_hidden]: weights on the chip */
PPU_PARAMETER uint32_t rows_at = 0;      /* 128-byte aligned scratch: one synapse row (256 B) */
PPU_PARAMETER uint32_t quads_at = 0;     /* per label-layer quad: {omnibus word address, word,
                                            word last written} */
PPU_PARAMETER uint32_t n_quads = 0;
PPU_PARAMETER uint32_t slots_at = 0;     /* per (h, j): exc quad << 20 | inh quad << 8 | shift */
PPU_PARAMETER uint32_t perm_at = 0;      /* 64 bytes: weight -> stored bits */

/* SRAM holds 12 KiB of code and data: code off the per-event path is compiled for size
 * (SMALL); what runs once per sample or batch outside the per-weight loops also lives in
 * external memory (COLD: 4 more cycles per instruction fetched) */
#define SMALL __attribute__((minsize, noinline))
#define COLD PPU_EXT_TEXT __attribute__((minsize))

#define AT(type, address) ((volatile type *)(address))
#define CONTROL(word) (AT(uint32_t, control_at)[word])

/* --- one sample (in external memory: the SRAM holds the code) ----------------------------- */
#define EXT __attribute__((section(".ext.bss")))
EXT static int32_t t_in[MAX_IN];
EXT static int32_t t_group[MAX_GROUPS];
EXT static int32_t t_hidden[MAX_HIDDEN];
EXT static int32_t t_out[MAX_OUT];
EXT static int32_t err_out[MAX_OUT];
EXT static int32_t err_hidden[MAX_HIDDEN];
EXT static uint8_t missed_hidden[MAX_HIDDEN]; /* silent in some sample of the batch */
EXT static uint8_t missed_out[MAX_OUT];
static uint32_t silent_batch[2];
static uint32_t batch_seen;

static uint64_t wake_at; /* no complete sample before this PPU time: poll no earlier */

static struct {
    int active;
    uint32_t start;   /* FPGA systime of the marker */
    int label;
    int eval;
} sample;

SMALL static uint32_t groups(void)
{
    return (n_in + replicas - 1) / replicas;
}

SMALL static void add64(uint32_t hi_word, int32_t value)
{
    uint64_t sum = ((uint64_t)CONTROL(hi_word) << 32) | CONTROL(hi_word + 1);
    sum += (uint64_t)(int64_t)value;
    CONTROL(hi_word) = (uint32_t)(sum >> 32);
    CONTROL(hi_word + 1) = (uint32_t)sum;
}

SMALL static void sum_replicas(void)
{
    const volatile int32_t *w1 = AT(int32_t, w1_at);
    volatile int32_t *w1_group = AT(int32_t, w1g_at);
    uint32_t g_count = groups();
    for (uint32_t g = 0; g < g_count; g++)
        for (uint32_t k = 0; k < n_hidden; k++) {
            int32_t s = 0;
            for (uint32_t i = g * replicas; i < (g + 1) * replicas && i < n_in; i++)
                s += w1[i * n_hidden + k];
            w1_group[g * n_hidden + k] = s;
        }
}

COLD static void clear_sample(void)
{
    for (uint32_t i = 0; i < n_in; i++)
        t_in[i] = FS_NEVER;
    for (uint32_t k = 0; k < n_hidden; k++)
        t_hidden[k] = FS_NEVER;
    for (uint32_t j = 0; j < n_out; j++)
        t_out[j] = FS_NEVER;
}

/* Loss, prediction and counters of the finished sample; gradients if it is a training one. */
COLD static void finish_sample(void)
{
    uint64_t begin = ppu_time_base();
    int32_t loss = fs_loss(t_out, (int)n_out, sample.label, xi_q16, alpha_q16, beta_q16,
                           err_out);
    int correct = fs_prediction(t_out, (int)n_out) == sample.label;
    if (sample.eval) {
        CONTROL(ONCHIP_EVAL_SAMPLES) += 1;
        CONTROL(ONCHIP_EVAL_CORRECT) += (uint32_t)correct;
        add64(ONCHIP_EVAL_LOSS_HI, loss);
        return;
    }
    CONTROL(ONCHIP_TRAIN_SAMPLES) += 1;
    CONTROL(ONCHIP_TRAIN_CORRECT) += (uint32_t)correct;
    add64(ONCHIP_TRAIN_LOSS_HI, loss);
    uint32_t silent[2] = {0, 0};
    for (uint32_t k = 0; k < n_hidden; k++)
        if (t_hidden[k] == FS_NEVER) {
            silent[0]++;
            missed_hidden[k] = 1;
        }
    for (uint32_t j = 0; j < n_out; j++)
        if (t_out[j] == FS_NEVER) {
            silent[1]++;
            missed_out[j] = 1;
        }
    CONTROL(ONCHIP_SILENT_HIDDEN) += silent[0];
    CONTROL(ONCHIP_SILENT_LABEL) += silent[1];
    silent_batch[0] += silent[0];
    silent_batch[1] += silent[1];
    batch_seen++;

    /* dL/dT of the batch mean, as the host's loss returns it */
    int32_t batch = (int32_t)CONTROL(ONCHIP_BATCH);
    if (batch < 1)
        batch = 1;
    for (uint32_t j = 0; j < n_out; j++)
        err_out[j] /= batch;
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t g = i / replicas;
        if (i % replicas == 0 || t_in[i] < t_group[g])
            t_group[g] = t_in[i];
    }
    uint64_t backward = ppu_time_base();
    int drops = fs_layer_backward(t_hidden, (int)n_hidden, t_out, (int)n_out,
                                  (const int32_t *)w2_at, (int)n_out, err_out, c_q16,
                                  max_dw_q24, (int32_t *)g2_at, (int)n_out, err_hidden);
    drops += fs_layer_backward(t_group, (int)groups(), t_hidden, (int)n_hidden,
                               (const int32_t *)w1g_at,
                               (int)n_hidden, err_hidden, c_q16, max_dw_q24,
                               (int32_t *)g1_at, (int)n_hidden, 0);
    CONTROL(ONCHIP_GUARD_DROPS) += (uint32_t)drops;
    CONTROL(ONCHIP_GRADIENT_CYCLES) += (uint32_t)(ppu_time_base() - backward);
    CONTROL(ONCHIP_SAMPLE_CYCLES) += (uint32_t)(ppu_time_base() - begin);
}

/* --- the batch's update ---------------------------------------------------------------------- */
static inline int32_t clamp_weight(int64_t w)
{
    return w > w_limit_q24 ? w_limit_q24 : (w < -w_limit_q24 ? -w_limit_q24 : (int32_t)w);
}

static inline int32_t hardware_weight(int32_t w)
{
    /* round(scale * w) (halves up), clipped to +-63; |w| <= w_limit keeps scale * w in 32 bits */
    int32_t r = (w * scale + (1 << 23)) >> 24;
    return r > 63 ? 63 : (r < -63 ? -63 : r);
}

/* Q32 power b^n by repeated squaring. */
COLD static uint32_t pow_q32(uint32_t b, uint32_t n)
{
    uint64_t result = 0xFFFFFFFFu, base = b;
    while (n) {
        if (n & 1)
            result = (result * base) >> 32;
        base = (base * base) >> 32;
        n >>= 1;
    }
    return (uint32_t)result;
}

/* m / sqrt(v) for m in Q8.24 and v in Q16.48 (v > 0), as Q.30, from 32-bit hardware
 * divisions: sqrt of v's leading 32 bits by two Newton steps from a linear guess (~2e-5), then
 * a 32 / 16-bit quotient of the normalised operands (~3e-5). Adam's epsilon (1e-8 against
 * sqrt(v) of typically 1e-3) is below this precision and left out. */
static int64_t ratio_m_sqrt_v(int32_t m, uint64_t v)
{
    uint32_t am = (uint32_t)(m < 0 ? -m : m);
    if (am == 0)
        return 0;
    int shift = __builtin_clzll(v) & ~1;  /* even, so that the root shifts by shift / 2 */
    uint32_t top = (uint32_t)((v << shift) >> 32); /* [2^30, 2^32) */
    uint32_t y = (uint32_t)(((uint64_t)top * 43691u) >> 32) + 21845u; /* chord: within 3 % */
    y = (y + top / y) >> 1;
    y = (y + top / y) >> 1;                        /* sqrt(v) = y 2^(16 - shift/2), y < 2^16 */
    int lead = __builtin_clz(am);
    uint32_t q = (am << lead) / y;                 /* m 2^lead / y */
    /* m / sqrt(v) = q 2^-lead 2^(shift/2 - 16); as Q.30: */
    int up = 30 - lead + shift / 2 - 16;
    int64_t ratio = up >= 0 ? (up > 32 ? INT64_MAX : (int64_t)q << up) : (int64_t)(q >> -up);
    return m < 0 ? -ratio : ratio;
}

/* Adam on one parameter: the step (Q8.24) for gradient g; k = lr sqrt(1 - b2^t) / (1 - b1^t)
 * in Q.30 (lr <= 0.03 keeps the product inside 64 bits). */
SMALL static int32_t adam_step(int32_t g, volatile int32_t *m, volatile uint64_t *v, int64_t k)
{
    const int32_t g_max = 8 << 24; /* keeps the moments' products inside 64 bits */
    const int64_t ratio_max = INT64_C(64) << 30;
    g = g > g_max ? g_max : (g < -g_max ? -g_max : g);
    int64_t mm = *m;
    mm += (((int64_t)g - mm) * (int64_t)(0x100000000ull - beta1_q32)) >> 32;
    *m = (int32_t)mm;
    uint64_t g2 = (uint64_t)((int64_t)g * g); /* Q48 */
    uint64_t one_minus_b2 = 0x100000000ull - beta2_q32;
    uint64_t vv = *v;
    vv = vv - ((vv >> 16) * one_minus_b2 >> 16) + ((g2 >> 16) * one_minus_b2 >> 16);
    *v = vv;
    if (vv == 0)
        return 0;
    int64_t ratio = ratio_m_sqrt_v((int32_t)mm, vv);
    ratio = ratio > ratio_max ? ratio_max : (ratio < -ratio_max ? -ratio_max : ratio);
    return (int32_t)((k * ratio) >> 36);
}

SMALL static void adam_update(void)
{
    uint32_t t = ++CONTROL(ONCHIP_ADAM_STEPS);
    uint32_t corr1 = 0xFFFFFFFFu - pow_q32(beta1_q32, t);   /* 1 - b1^t, Q32 */
    uint32_t corr2 = 0xFFFFFFFFu - pow_q32(beta2_q32, t);
    uint32_t sqrt_corr2 = fs_isqrt64((uint64_t)corr2 << 32); /* Q32 */
    uint64_t lr_sqrt = (uint64_t)CONTROL(ONCHIP_LEARNING_RATE) * sqrt_corr2 >> 32;
    int64_t k = fs_div_q30((int64_t)lr_sqrt, corr1);
    uint32_t g_count = groups();
    volatile int32_t *w1 = AT(int32_t, w1_at), *g1 = AT(int32_t, g1_at);
    volatile int32_t *m1 = AT(int32_t, m1_at);
    volatile uint64_t *v1 = AT(uint64_t, v1_at);
    for (uint32_t g = 0; g < g_count; g++)
        for (uint32_t h = 0; h < n_hidden; h++) {
            uint32_t at = g * n_hidden + h;
            int32_t step = adam_step(g1[at], &m1[at], &v1[at], k);
            g1[at] = 0;
            for (uint32_t i = g * replicas; i < (g + 1) * replicas && i < n_in; i++)
                w1[i * n_hidden + h] = clamp_weight((int64_t)w1[i * n_hidden + h] - step);
        }
    volatile int32_t *w2 = AT(int32_t, w2_at), *g2 = AT(int32_t, g2_at);
    volatile int32_t *m2 = AT(int32_t, m2_at);
    volatile uint64_t *v2 = AT(uint64_t, v2_at);
    for (uint32_t at = 0; at < n_hidden * n_out; at++) {
        int32_t step = adam_step(g2[at], &m2[at], &v2[at], k);
        g2[at] = 0;
        w2[at] = clamp_weight((int64_t)w2[at] - step);
    }
}

SMALL static void clear_gradients(void)
{
    volatile int32_t *g1 = AT(int32_t, g1_at), *g2 = AT(int32_t, g2_at);
    for (uint32_t at = 0; at < groups() * n_hidden; at++)
        g1[at] = 0;
    for (uint32_t at = 0; at < n_hidden * n_out; at++)
        g2[at] = 0;
}

/* Revive silent neurons of `layer` (0 hidden, 1 label): weights into every neuron that
 * missed a spike in the batch grow by the bump value, doubled while the layer repeats. */
COLD static void bump(uint32_t layer)
{
    int32_t value = CONTROL(ONCHIP_BUMP_LAYER) == layer + 1
                    ? (int32_t)CONTROL(ONCHIP_BUMP_VALUE) * 2 : bump_q24;
    CONTROL(ONCHIP_BUMP_VALUE) = (uint32_t)value;
    CONTROL(ONCHIP_BUMP_LAYER) = layer + 1;
    if (layer == 0) {
        volatile int32_t *w1 = AT(int32_t, w1_at);
        for (uint32_t k = 0; k < n_hidden; k++)
            if (missed_hidden[k])
                for (uint32_t i = 0; i < n_in; i++)
                    w1[i * n_hidden + k] = clamp_weight((int64_t)w1[i * n_hidden + k] + value);
    } else {
        volatile int32_t *w2 = AT(int32_t, w2_at);
        for (uint32_t j = 0; j < n_out; j++)
            if (missed_out[j])
                for (uint32_t h = 0; h < n_hidden; h++)
                    w2[h * n_out + j] = clamp_weight((int64_t)w2[h * n_out + j] + value);
    }
}

/* Input layer: changed half rows of this hemisphere with vector stores (exc row 2i, inh 2i+1).
 * Each vector store brings the emulated network up to the PPU's time, so unchanged half rows
 * are skipped. */
SMALL static void write_input_layer(void)
{
    const volatile int32_t *w1 = AT(int32_t, w1_at);
    volatile int8_t *hw1 = AT(int8_t, hw1_at);
    volatile uint32_t *words = AT(uint32_t, rows_at);
    volatile uint8_t *row = AT(uint8_t, rows_at); /* [exc even | exc odd | inh even | inh odd] */
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t changed = 0; /* bit part: that half row changed */
        for (uint32_t b = 0; b < 4 * FXV_BYTES / 4; b++)
            words[b] = 0;
        for (uint32_t k = 0; k < n_hidden; k++) {
            int32_t hw = hardware_weight(w1[i * n_hidden + k]);
            int32_t old = hw1[i * n_hidden + k];
            uint32_t half = k & 1, lane = half * FXV_BYTES + k / 2;
            if (hw != old)
                changed |= (uint32_t)((hw > 0 || old > 0) << half | (hw < 0 || old < 0) << (2 + half));
            hw1[i * n_hidden + k] = (int8_t)hw;
            row[lane] = (uint8_t)(hw > 0 ? hw : 0);
            row[2 * FXV_BYTES + lane] = (uint8_t)(hw < 0 ? -hw : 0);
        }
        for (uint32_t part = 0; part < 4; part++)
            if (changed >> part & 1) {
                FXV_LAX(0, rows_at + part * FXV_BYTES);
                FXV_OUTX(0, PPU_VIO_WEIGHTS + fxv_half_row(2 * i + part / 2, part & 1),
                         FXV_ALWAYS);
            }
    }
    ppu_sync();
}

/* Label layer: quad words of the other hemisphere through the omnibus, only those changed. */
COLD static void write_label_layer(void)
{
    const volatile int32_t *w2 = AT(int32_t, w2_at);
    volatile uint32_t *quads = AT(uint32_t, quads_at);
    const volatile uint32_t *slots = AT(uint32_t, slots_at);
    const volatile uint8_t *perm = AT(uint8_t, perm_at);
    for (uint32_t at = 0; at < n_hidden * n_out; at++) {
        int32_t hw = hardware_weight(w2[at]);
        uint32_t slot = slots[at];
        uint32_t shift = slot & 0xFF, inh = (slot >> 8) & 0xFFF, exc = slot >> 20;
        uint32_t mask = 0x3Fu << shift;
        uint32_t e = perm[hw > 0 ? hw : 0], n = perm[hw < 0 ? -hw : 0];
        quads[3 * exc + 1] = (quads[3 * exc + 1] & ~mask) | (e << shift);
        quads[3 * inh + 1] = (quads[3 * inh + 1] & ~mask) | (n << shift);
    }
    for (uint32_t q = 0; q < n_quads; q++)
        if (quads[3 * q + 1] != quads[3 * q + 2]) {
            *OMNIBUS(quads[3 * q]) = quads[3 * q + 1];
            quads[3 * q + 2] = quads[3 * q + 1];
        }
}

COLD static void end_batch(void)
{
    uint64_t begin = ppu_time_base();
    if (batch_seen) {
        uint32_t n = batch_seen;
        int layer = -1;
        if ((uint64_t)silent_batch[0] * 65536 > (uint64_t)max_missing_hidden_q16 * n * n_hidden)
            layer = 0;
        else if ((uint64_t)silent_batch[1] * 65536 > (uint64_t)max_missing_label_q16 * n * n_out)
            layer = 1;
        if (layer >= 0) {
            bump((uint32_t)layer);
            clear_gradients();
            CONTROL(ONCHIP_BUMPS) += 1;
        } else {
            CONTROL(ONCHIP_BUMP_LAYER) = 0;
            CONTROL(ONCHIP_BUMP_VALUE) = (uint32_t)bump_q24;
            adam_update();
            CONTROL(ONCHIP_UPDATES) += 1;
        }
        sum_replicas();
        uint64_t written = ppu_time_base();
        CONTROL(ONCHIP_OPTIMISER_CYCLES) += (uint32_t)(written - begin);
        write_input_layer();
        write_label_layer();
        CONTROL(ONCHIP_WRITE_CYCLES) += (uint32_t)(ppu_time_base() - written);
    }
    batch_seen = 0;
    silent_batch[0] = silent_batch[1] = 0;
    for (uint32_t k = 0; k < n_hidden; k++)
        missed_hidden[k] = 0;
    for (uint32_t j = 0; j < n_out; j++)
        missed_out[j] = 0;
    CONTROL(ONCHIP_BATCHES_DONE) += 1;
    CONTROL(ONCHIP_UPDATE_CYCLES) += (uint32_t)(ppu_time_base() - begin);
}

/* --- events ------------------------------------------------------------------------------- */
static uint32_t lookup(uint32_t key)
{
    const volatile uint32_t *table = AT(uint32_t, table_at);
    uint32_t slot = (key * ONCHIP_HASH_MULTIPLIER) >> 23;
    for (uint32_t probe = 0; probe < ONCHIP_TABLE_SLOTS; probe++) {
        uint32_t entry = table[slot];
        if (entry == 0xFFFFFFFFu)
            return 0;
        if (entry >> 15 == key)
            return entry & 0x7FFF;
        slot = (slot + 1) & (ONCHIP_TABLE_SLOTS - 1);
    }
    return 0;
}

static void event(uint32_t time, uint32_t key)
{
    uint32_t value = lookup(key);
    uint32_t kind = value >> 12, index = value & 0xFFF;
    if (kind == ONCHIP_KIND_MARKER) {
        if (sample.active)
            finish_sample();
        sample.active = 0;
        if (index == ONCHIP_MARKER_END) {
            end_batch();
            return;
        }
        sample.active = 1;
        sample.start = time;
        /* the sample ends with the next marker, one period (2 cycles per FPGA tick) after this
         * one, which was written at most one poll interval ago */
        wake_at = ppu_time_base() + 2 * (uint64_t)CONTROL(ONCHIP_PERIOD) - idle_cycles;
        sample.label = (int)(index & 0x7FF);
        sample.eval = (index & ONCHIP_MARKER_EVAL) != 0;
        clear_sample();
        return;
    }
    if (kind == 0) {
        CONTROL(ONCHIP_UNKNOWN_EVENTS) += 1;
        return;
    }
    uint32_t dt = time - sample.start;
    if (!sample.active || dt >= window_ticks) {
        CONTROL(ONCHIP_LATE_EVENTS) += 1;
        return;
    }
    int32_t t = (int32_t)(((uint64_t)dt * ticks_recip) >> 16);
    int32_t *slot = kind == ONCHIP_KIND_INPUT ? (index < n_in ? &t_in[index] : 0)
                    : kind == ONCHIP_KIND_HIDDEN ? (index < n_hidden ? &t_hidden[index] : 0)
                    : (index < n_out ? &t_out[index] : 0);
    if (slot && t < *slot)
        *slot = t;
}

/* Busy-wait (the core has no timer interrupt) for `cycles`, or until wake_at if later. */
COLD static void idle(uint32_t cycles)
{
    uint64_t until = ppu_time_base() + cycles;
    if (wake_at > until)
        until = wake_at;
    while (ppu_time_base() < until)
        ;
}

int start(void)
{
    if (n_in > MAX_IN || n_hidden > MAX_HIDDEN || n_out > MAX_OUT || replicas == 0
        || groups() > MAX_GROUPS)
        return 1;
    sum_replicas();
    const uint32_t capacity = *event_ring_word(ring_at, EVENT_RING_CAPACITY);
    if (capacity == 0)
        return 2; /* the host did not enable the event ring */
    uint32_t read = *event_ring_word(ring_at, EVENT_RING_READ_INDEX), published = read;
    uint32_t slot = read % capacity;
    uint32_t pause = idle_cycles;
    for (;;) {
        uint32_t write = *event_ring_word(ring_at, EVENT_RING_WRITE_INDEX);
        if (write == read) {
            /* every look at the ring costs the emulator a network segment: back off */
            CONTROL(ONCHIP_STATE) = 0;
            idle(pause);
            pause = pause < idle_max_cycles / 2 ? 2 * pause : idle_max_cycles;
            continue;
        }
        pause = idle_cycles;
        CONTROL(ONCHIP_STATE) = 1;
        for (; read != write; read++) {
            const volatile event_ring_entry *e = (const volatile event_ring_entry *)(
                ring_at + EVENT_RING_HEADER_BYTES + EVENT_RING_ENTRY_BYTES * slot);
            if (++slot == capacity)
                slot = 0;
            event(e->systime, e->label | (uint32_t)e->flags << 16);
        }
        /* free the consumed slots in steps of a quarter ring: a sample fills a few percent,
         * and every store to the header costs a network segment */
        if (read - published >= capacity / 4) {
            *event_ring_word(ring_at, EVENT_RING_READ_INDEX) = read;
            published = read;
        }
    }
}
