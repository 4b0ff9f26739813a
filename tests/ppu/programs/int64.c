/* 64-bit integer arithmetic (compiler_rt's __divdi3, __udivdi3, __moddi3, __umoddi3, __muldi3,
 * shifts): multiply, divide, modulo and shifts over signed and unsigned operands. */
#include "corpus.h"

uint64_t results[64];

int start(void)
{
    uint32_t state = 7;
    uint32_t hash = MIX_START;
    int slot = 0;
    for (int round = 0; round < 16; round++) {
        uint64_t a = ((uint64_t)lcg_next(&state) << 32) | lcg_next(&state);
        uint64_t b = ((uint64_t)(lcg_next(&state) >> (round % 31)) << (round % 3 * 8))
                     | (lcg_next(&state) >> 16) | 1u;
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        if (round & 1)
            sb = -sb;
        unsigned shift = lcg_next(&state) % 64;
        uint64_t values[] = {
            a * b,
            a / b,
            a % b,
            (uint64_t)(sa / sb),
            (uint64_t)(sa % sb),
            a << shift,
            a >> shift,
            (uint64_t)(sa >> shift),
            a + b,
            a - b * 3,
            (uint64_t)(sa < sb) | (uint64_t)(a < b) << 1 | (uint64_t)(sa == sb) << 2,
        };
        for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
            results[slot++ % 64] = values[i];
            hash = mix(hash, (uint32_t)(values[i] >> 32));
            hash = mix(hash, (uint32_t)values[i]);
        }
    }
    /* corner cases with known answers */
    int64_t min = INT64_MIN;
    if (min / 2 != -4611686018427387904LL || (uint64_t)min % 10 != 8u
        || -7LL / 2 != -3 || -7LL % 2 != -1 || 0xFFFFFFFFFFFFFFFFull / 3 != 0x5555555555555555ull)
        return 1;
    return (int)hash;
}
