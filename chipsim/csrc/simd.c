/* Whether the event engine uses vector lanes (simd.h): the machine's AVX2, checked once when the
 * core is loaded, and the tests' switch. */
#include "core.h"
#include "simd.h"

int bss2_simd_lanes = 0;
static int available = 0;

#ifdef BSS2_HAVE_AVX2_PATH
__attribute__((constructor)) static void detect_lanes(void)
{
    __builtin_cpu_init();
    available = __builtin_cpu_supports("avx2") ? 1 : 0;
    bss2_simd_lanes = available;
}
#endif

int bss2_simd_active(void)
{
    return bss2_simd_lanes;
}

int bss2_set_simd(int enable)
{
    bss2_simd_lanes = enable && available;
    return bss2_simd_lanes;
}
