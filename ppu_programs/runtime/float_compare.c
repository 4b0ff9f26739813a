/* Soft-float comparisons (the libgcc/compiler_rt __eqsf2 ... __unorddf2 family) for float and
 * double. compiler_rt has them too, but its versions pull in a 26 KiB block of merged constants
 * (its math tables) that cannot fit the 16 KiB SRAM; these work on the IEEE bit patterns alone. */
#include <stdint.h>

/* -1, 0, 1 for a < b, a == b, a > b; `unordered` if either is a NaN. +0 equals -0. */
static int compare_bits(uint64_t a, uint64_t b, int sign_shift, uint64_t infinity, int unordered)
{
    uint64_t magnitude_mask = ((uint64_t)1 << sign_shift) - 1;
    uint64_t ma = a & magnitude_mask, mb = b & magnitude_mask;
    if (ma > infinity || mb > infinity)
        return unordered;
    /* sign-magnitude to two's complement keys: the integers then order like the numbers */
    int64_t ka = (a >> sign_shift) ? -(int64_t)ma : (int64_t)ma;
    int64_t kb = (b >> sign_shift) ? -(int64_t)mb : (int64_t)mb;
    return (ka > kb) - (ka < kb);
}

static int compare_float(float a, float b, int unordered)
{
    union { float f; uint32_t u; } x = {.f = a}, y = {.f = b};
    return compare_bits(x.u, y.u, 31, 0x7F800000u, unordered);
}

static int compare_double(double a, double b, int unordered)
{
    union { double d; uint64_t u; } x = {.d = a}, y = {.d = b};
    return compare_bits(x.u, y.u, 63, 0x7FF0000000000000ull, unordered);
}

/* The value for an unordered pair makes every ordered test false: 1 for ==, !=, <, <=;
 * -1 for >, >=. */
int __eqsf2(float a, float b) { return compare_float(a, b, 1); }
int __nesf2(float a, float b) { return compare_float(a, b, 1); }
int __ltsf2(float a, float b) { return compare_float(a, b, 1); }
int __lesf2(float a, float b) { return compare_float(a, b, 1); }
int __cmpsf2(float a, float b) { return compare_float(a, b, 1); }
int __gtsf2(float a, float b) { return compare_float(a, b, -1); }
int __gesf2(float a, float b) { return compare_float(a, b, -1); }
int __unordsf2(float a, float b) { return compare_float(a, b, 2) == 2; }

int __eqdf2(double a, double b) { return compare_double(a, b, 1); }
int __nedf2(double a, double b) { return compare_double(a, b, 1); }
int __ltdf2(double a, double b) { return compare_double(a, b, 1); }
int __ledf2(double a, double b) { return compare_double(a, b, 1); }
int __cmpdf2(double a, double b) { return compare_double(a, b, 1); }
int __gtdf2(double a, double b) { return compare_double(a, b, -1); }
int __gedf2(double a, double b) { return compare_double(a, b, -1); }
int __unorddf2(double a, double b) { return compare_double(a, b, 2) == 2; }
