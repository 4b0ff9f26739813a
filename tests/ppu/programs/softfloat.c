/* Soft-float (the PPU has no FPU): float and double add, sub, mul, div, conversions to and from
 * integers, comparisons; results are IEEE bit patterns, identical on any IEEE machine. */
#include "corpus.h"

float floats[32];
double doubles[32];

static uint32_t float_bits(float x)
{
    union { float f; uint32_t u; } v = {.f = x};
    return v.u;
}

static uint64_t double_bits(double x)
{
    union { double d; uint64_t u; } v = {.d = x};
    return v.u;
}

int start(void)
{
    uint32_t state = 2024;
    uint32_t hash = MIX_START;
    float fsum = 0.0f;
    double dsum = 0.0;
    for (int i = 0; i < 32; i++) {
        int32_t n = (int32_t)lcg_next(&state) >> 12;
        uint32_t u = lcg_next(&state) >> 4;
        float f = (float)n / 37.0f + (float)u * 1.5e-3f;
        double d = (double)n * 0.1 - (double)u / 7.0;
        floats[i] = f * f - f / 3.0f;
        doubles[i] = d * d + d / 11.0 - 1.0e3;
        fsum += floats[i];
        dsum += doubles[i] * (double)floats[i];
        hash = mix(hash, float_bits(floats[i]));
        hash = mix(hash, (uint32_t)(double_bits(doubles[i]) >> 32));
        hash = mix(hash, (uint32_t)double_bits(doubles[i]));
        /* conversions (in range, so truncation is defined) and comparisons */
        hash = mix(hash, (uint32_t)(int32_t)(f * 0.25f));
        hash = mix(hash, (uint32_t)(int64_t)(d * 16.0));
        hash = mix(hash, (uint32_t)(f < (float)d) | (uint32_t)(d >= 0.0) << 1
                             | (uint32_t)(f == floats[i]) << 2 | (uint32_t)(d != d) << 3);
        hash = mix(hash, float_bits((float)d));
        hash = mix(hash, (uint32_t)(double_bits((double)f) >> 29));
    }
    hash = mix(hash, float_bits(fsum));
    hash = mix(hash, (uint32_t)(double_bits(dsum) >> 32));
    /* NaN, infinity and signed zero in comparisons (the NaN's bits differ between machines, so
     * only the comparison outcomes are checked) */
    static volatile float zero_f = 0.0f;
    static volatile double zero_d = 0.0;
    float nan_f = zero_f / zero_f;
    double nan_d = zero_d / zero_d, negative_zero = -zero_d;
    uint32_t flags = (uint32_t)(nan_f == nan_f) | (uint32_t)(nan_f != nan_f) << 1
                     | (uint32_t)(nan_f < 1.0f) << 2 | (uint32_t)(nan_f >= 1.0f) << 3
                     | (uint32_t)(nan_d > 0.0) << 4 | (uint32_t)(nan_d <= 0.0) << 5
                     | (uint32_t)(negative_zero == zero_d) << 6
                     | (uint32_t)(negative_zero < zero_d) << 7
                     | (uint32_t)(1.0 / negative_zero < 0.0) << 8
                     | (uint32_t)__builtin_isnan(nan_d) << 9
                     | (uint32_t)__builtin_isinf(1.0 / zero_d) << 10;
    if (flags != 0x742u)
        return 2;
    hash = mix(hash, flags);
    float third = 1.0f / 3.0f;
    if (float_bits(third) != 0x3EAAAAABu || double_bits(0.1 + 0.2) != 0x3FD3333333333334ull)
        return 1;
    return (int)hash;
}
