/* Fixed-point helpers (formats in fixed.h). Everything uses 32x32->64 multiplies (mulhw/mullw)
 * and a 64/32 division built from two hardware word divisions, never compiler-rt's slow 64-bit
 * division, because the gradient code calls these per neuron and per synapse. */
#include "fixed.h"

/* code size matters more than speed outside the per-synapse loops (16 KiB SRAM in all) */
#define FS_COLD __attribute__((minsize, noinline))

#define ONE FS_Q30_ONE
#define LN2_Q32 INT64_C(2977044472)   /* ln 2 * 2^32 */
#define LN2_Q30 INT64_C(744261118)    /* ln 2 * 2^30 */
#define INV_LN2_Q16 INT64_C(94548)    /* 1 / ln 2 * 2^16 */
#define SQRT2_Q30 UINT32_C(1518500250)

/* e^-k, k = 0..21, and e^-(j/16), j = 0..15, in Q.31 */
static const uint32_t exp_int[22] = {
    2147483648u, 790015084, 290630308, 106916915, 39332535, 14469631, 5323080, 1958252, 720401,
    265021, 97496, 35867, 13195, 4854, 1786, 657, 242, 89, 33, 12, 4, 2};
const uint32_t fs_exp_sixteenth[16] = {
    2147483648u, 2017374191, 1895147668, 1780326475, 1672461947, 1571132600, 1475942488,
    1386519653, 1302514674, 1223599299, 1149465165, 1079822591, 1014399448, 952940092, 895204371,
    840966680};

FS_EXT int32_t fs_shift_sat(int64_t v, int sh)
{
    if (v == 0)
        return 0;
    if (sh >= 0) {
        if (sh >= 31)
            return v > 0 ? INT32_MAX : INT32_MIN;
        if (v > (INT32_MAX >> sh))
            return INT32_MAX;
        if (v < (INT32_MIN >> sh))
            return INT32_MIN;
        return (int32_t)(v * ((int64_t)1 << sh));
    }
    if (sh <= -63)
        return 0;
    return fs_sat32((v + ((int64_t)1 << (-sh - 1))) >> -sh);
}

/* Q.30 product of two values below 2^32 in magnitude, rounded */
static inline int64_t mul30(int64_t a, int64_t b)
{
    return (a * b + (ONE >> 1)) >> 30;
}

__attribute__((noinline)) uint32_t fs_exp_neg(uint64_t a)
{
    if (a >= (UINT64_C(22) << 30))
        return 0;
    uint32_t k = (uint32_t)(a >> 30), frac = (uint32_t)a & (uint32_t)(ONE - 1);
    /* e^-a = e^-k e^-(j/16) e^-r, r below 1/16 */
    uint32_t scale = fs_mulhwu(exp_int[k], fs_exp_sixteenth[frac >> 26]); /* Q.30 */
    uint32_t q = fs_exp_neg_small((frac & ((1u << 26) - 1)) << 2);
    return (uint32_t)(((uint64_t)(scale << 1) * q + (UINT64_C(1) << 31)) >> 32);
}

FS_EXT uint32_t fs_exp_split(int64_t x, int *j)
{
    *j = 0;
    if (x <= 0)
        return fs_exp_neg((uint64_t)-x);
    /* e^x = 2^j e^-(j ln2 - x) with j ln2 >= x */
    int n = (int)(((x >> 14) * INV_LN2_Q16) >> 32) + 1;
    int64_t r = n * LN2_Q30 - x;
    if (r < 0) { /* the estimate of n is at most one short; no loop (clang turns it into a
                    64-bit division) */
        n++;
        r += LN2_Q30;
    }
    *j = n;
    return fs_exp_neg((uint64_t)r);
}

FS_EXT int64_t fs_exp_q30(int64_t x)
{
    int j;
    uint32_t m = fs_exp_split(x > FS_EXP_ARG_MAX ? FS_EXP_ARG_MAX : x, &j);
    return (int64_t)m << j;
}

/* Newton's x (2 - U x) from the linear start 48/17 - 32/17 U (error below 1/17): three steps
 * reach the 2^-29 the Q.30 result can hold; the error term 1 - U x stays below 2^-4, so e << 2
 * cannot overflow. Costs ~45 cycles, against ~100 for a software-float division. */
uint32_t fs_recip(uint32_t u)
{
    uint32_t x = UINT32_C(3031741620) - fs_mulhwu(u, UINT32_C(2021161080));
    for (int i = 0; i < 3; i++) {
        int32_t e = (int32_t)((UINT32_C(1) << 30) - fs_mulhwu(u, x)); /* 1 - U x, Q.30 */
        x += (uint32_t)fs_mulhw((int32_t)x, e << 2);
        if (x > INT32_MAX)
            x = INT32_MAX;
    }
    return x;
}

static inline int bit_length(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

/* floor(((u1 << 32) | u0) / v) for u1 < v: two 32/16-bit digit steps (Hacker's Delight divlu) */
static uint32_t divlu(uint32_t u1, uint32_t u0, uint32_t v)
{
    const uint32_t b = 65536;
    int s = __builtin_clz(v);
    v <<= s;
    uint32_t vn1 = v >> 16, vn0 = v & 0xFFFF;
    uint32_t un32 = (u1 << s) | (s ? u0 >> (32 - s) : 0);
    uint32_t un10 = u0 << s;
    uint32_t un1 = un10 >> 16, un0 = un10 & 0xFFFF;
    uint32_t q1 = un32 / vn1, rhat = un32 - q1 * vn1;
    while (q1 >= b || q1 * vn0 > b * rhat + un1) {
        q1--;
        rhat += vn1;
        if (rhat >= b)
            break;
    }
    uint32_t un21 = un32 * b + un1 - q1 * v;
    uint32_t q0 = un21 / vn1;
    rhat = un21 - q0 * vn1;
    while (q0 >= b || q0 * vn0 > b * rhat + un0) {
        q0--;
        rhat += vn1;
        if (rhat >= b)
            break;
    }
    return q1 * b + q0;
}

FS_EXT int64_t fs_log_q30(uint64_t x, int frac)
{
    int n = bit_length(x) - 1;
    uint32_t m = (uint32_t)(n > 30 ? x >> (n - 30) : x << (30 - n)); /* [1, 2) in Q.30 */
    if (m > SQRT2_Q30) {
        m >>= 1;
        n++;
    }
    /* log m = 2 atanh(y), y = (m - 1) / (m + 1) in [-0.172, 0.172]: series to y^9 */
    uint32_t dist = m > ONE ? m - (uint32_t)ONE : (uint32_t)ONE - m;
    uint32_t den = m + (uint32_t)ONE;
    int64_t y = divlu(dist >> 2, dist << 30, den);
    if (m < ONE)
        y = -y;
    int64_t y2 = mul30(y, y);
    int64_t s = 119304647;                 /* 1/9 */
    s = 153391689 + mul30(s, y2);          /* 1/7 */
    s = 214748365 + mul30(s, y2);          /* 1/5 */
    s = 357913941 + mul30(s, y2);          /* 1/3 */
    s = ONE + mul30(s, y2);
    return 2 * mul30(y, s) + (((n - frac) * LN2_Q32 + 2) >> 2);
}

__attribute__((noinline)) fs_real fs_real_from(int64_t v, int frac)
{
    fs_real r = {0, 0};
    if (v == 0)
        return r;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    int shift = bit_length(u) - 31;
    uint32_t m = (uint32_t)(shift > 0 ? u >> shift : u << -shift);
    r.m = v < 0 ? -(int32_t)m : (int32_t)m;
    r.e = shift - frac;
    return r;
}

FS_COLD int64_t fs_real_to_fixed(fs_real a, int frac)
{
    int sh = a.e + frac;
    if (a.m == 0 || sh <= -32)
        return 0;
    if (sh >= 32)
        return a.m > 0 ? FS_Q30_LIMIT : -FS_Q30_LIMIT;
    if (sh >= 0)
        return (int64_t)a.m * ((int64_t)1 << sh);
    return ((int64_t)a.m + ((int64_t)1 << (-sh - 1))) >> -sh;
}

__attribute__((noinline)) fs_real fs_real_mul(fs_real a, fs_real b)
{
    fs_real r = {0, 0};
    if (a.m == 0 || b.m == 0)
        return r;
    int64_t p = (int64_t)a.m * b.m; /* magnitude in [2^60, 2^62) */
    uint64_t u = p < 0 ? -(uint64_t)p : (uint64_t)p;
    int shift = u >= ((uint64_t)1 << 61) ? 31 : 30;
    uint32_t m = (uint32_t)(u >> shift);
    r.m = p < 0 ? -(int32_t)m : (int32_t)m;
    r.e = a.e + b.e + shift;
    return r;
}

__attribute__((noinline)) fs_real fs_real_div(fs_real a, fs_real b)
{
    fs_real r = {0, 0};
    if (a.m == 0)
        return r;
    uint32_t ua = a.m < 0 ? -(uint32_t)a.m : (uint32_t)a.m;
    uint32_t ub = b.m < 0 ? -(uint32_t)b.m : (uint32_t)b.m;
    uint32_t q = divlu(ua >> 1, ua << 31, ub); /* a / b * 2^31, in (2^30, 2^32) */
    int shift = q >= (UINT32_C(1) << 31);
    q >>= shift;
    r.m = (a.m < 0) != (b.m < 0) ? -(int32_t)q : (int32_t)q;
    r.e = a.e - b.e - 31 + shift;
    return r;
}

FS_COLD int64_t fs_div_q30(int64_t num, int64_t den)
{
    return fs_real_to_fixed(fs_real_div(fs_real_from(num, 0), fs_real_from(den, 0)), 30);
}

FS_COLD uint32_t fs_isqrt64(uint64_t x)
{
    if (x == 0)
        return 0;
    uint64_t root = 0;
    uint64_t bit = (uint64_t)1 << ((bit_length(x) - 1) & ~1);
    while (bit) {
        if (x >= root + bit) {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)root;
}
