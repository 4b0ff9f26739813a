/* Bit tricks: count leading/trailing zeros, population count, rotates, byte swaps, parity and
 * bit reversal, each checked against a plain loop. */
#include "corpus.h"

uint32_t bit_results[40];

static uint32_t rotate_left(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> (-n & 31)); }

static int slow_popcount(uint32_t x)
{
    int n = 0;
    for (; x; x >>= 1)
        n += x & 1;
    return n;
}

static int slow_clz(uint32_t x)
{
    int n = 0;
    for (uint32_t bit = 0x80000000u; bit && !(x & bit); bit >>= 1)
        n++;
    return n;
}

static uint32_t reverse_bits(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    return __builtin_bswap32(x);
}

int start(void)
{
    uint32_t state = 4242;
    uint32_t hash = MIX_START;
    for (int i = 0; i < 40; i++) {
        uint32_t x = lcg_next(&state) >> (i % 32);
        int clz = x ? __builtin_clz(x) : 32;
        int ctz = x ? __builtin_ctz(x) : 32;
        int pop = __builtin_popcount(x);
        if (clz != slow_clz(x) || pop != slow_popcount(x))
            return 1;
        uint32_t r = rotate_left(x, (unsigned)i * 7u);
        bit_results[i] = r ^ reverse_bits(x);
        uint64_t wide = (uint64_t)x << 32 | lcg_next(&state);
        hash = mix(hash, (uint32_t)clz << 16 | (uint32_t)ctz << 8 | (uint32_t)pop);
        hash = mix(hash, bit_results[i]);
        hash = mix(hash, __builtin_bswap32(x));
        hash = mix(hash, (uint32_t)__builtin_bswap16((uint16_t)x));
        hash = mix(hash, (uint32_t)__builtin_parity(x));
        hash = mix(hash, (uint32_t)__builtin_popcountll(wide));
        hash = mix(hash, (uint32_t)__builtin_clzll(wide | 1));
    }
    return (int)hash;
}
