/* Counter-based noise from splitmix64 hashing and the Box-Muller transform; mirrored in
 * chipsim/reference.py so that the C engines and the Python reference draw identical values. */
#include <math.h>
#include "noise.h"

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double bss2_gauss(uint64_t seed, uint64_t neuron, uint64_t index, uint64_t stream)
{
    uint64_t h1 = splitmix64(seed ^ splitmix64((neuron << 32) ^ index ^ (stream << 56)));
    uint64_t h2 = splitmix64(h1);
    double u1 = (double)((h1 >> 11) + 1) * 0x1.0p-53;
    double u2 = (double)(h2 >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
