/* Division corner cases: signed and unsigned 32-bit divide and remainder with negative operands,
 * powers of two (shift sequences), constant divisors (multiply-high sequences), INT_MIN / -1
 * kept out (undefined in C) and checked against its guard. */
#include <limits.h>

#include "corpus.h"

int32_t quotients[64];

static int32_t safe_divide(int32_t a, int32_t b)
{
    if (b == 0)
        return 0;
    if (a == INT_MIN && b == -1)
        return INT_MIN; /* what wrapping would give */
    return a / b;
}

int start(void)
{
    static const int32_t values[] = {0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100, 65536, -65536,
                                     INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1, 12345679};
    const int n = sizeof values / sizeof values[0];
    uint32_t hash = MIX_START;
    int slot = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            int32_t a = values[i], b = values[j];
            int32_t q = safe_divide(a, b);
            int32_t r = (b == 0 || (a == INT_MIN && b == -1)) ? 0 : a % b;
            uint32_t uq = b == 0 ? 0 : (uint32_t)a / (uint32_t)b;
            uint32_t ur = b == 0 ? 0 : (uint32_t)a % (uint32_t)b;
            quotients[slot++ % 64] = q;
            hash = mix(hash, (uint32_t)q);
            hash = mix(hash, (uint32_t)r);
            hash = mix(hash, uq);
            hash = mix(hash, ur);
        }
        int32_t a = values[i];
        hash = mix(hash, (uint32_t)(a / 2));
        hash = mix(hash, (uint32_t)(a / 8));
        hash = mix(hash, (uint32_t)(a % 16));
        hash = mix(hash, (uint32_t)(a / 10));
        hash = mix(hash, (uint32_t)(a / -7));
        hash = mix(hash, (uint32_t)a / 10u);
        hash = mix(hash, (uint32_t)a % 1000u);
    }
    if (safe_divide(INT_MIN, -1) != INT_MIN || -7 / 2 != -3 || -7 % 2 != -1)
        return 1;
    return (int)hash;
}
