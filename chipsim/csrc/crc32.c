/* CRC-32 of the link frames: zlib's CRC-32 (reflected polynomial 0xEDB88320, register inverted
 * before and after), computed by folding 64-byte blocks with carry-less multiplication on x86-64
 * CPUs with PCLMULQDQ, byte by byte elsewhere.
 *
 * Bit order: in the reflected CRC a message's first bit (bit 0 of byte 0) is its highest-degree
 * coefficient, so a 128-bit little-endian load X of 16 message bytes holds the polynomial
 * H(x) x^64 + L(x), H in its low 64 bits (bit k <-> x^(63-k)), L in its high 64 bits.
 *
 * Folding: a block X followed D bits later by the end of a block Y contributes X x^D to the
 * remainder at Y's position, and X x^D = H x^(D+64) + L x^D == H (x^(D+64) mod P) +
 * L (x^D mod P) (mod P), products of fewer than 96 bits that are XORed into Y. A carry-less
 * product of two reflected 64-bit values, read as a reflected 128-bit value, is the polynomial
 * product times x, so the constants are x^(D+63) mod P and x^(D-1) mod P, as reflected 64-bit
 * values (a reflected 32-bit remainder in the high half). Four lanes fold 512 bits ahead each,
 * then join with D = 128; the last 128-bit remainder X x^32 mod P is the CRC register of its 16
 * bytes run byte by byte from 0, which then takes the bytes left over. */
#include <stddef.h>
#include <stdint.h>

#include "crc32_api.h"

#define CRC32_POLY 0xEDB88320u

static uint32_t byte_table[256];
/* per fold distance D: { x^(D+63) mod P (multiplies H), x^(D-1) mod P (multiplies L) } */
static uint64_t fold512[2], fold128[2];
static int accelerated;

/* x^n mod P as a reflected 32-bit value (bit k <-> x^(31-k)) */
static uint32_t x_power(unsigned n)
{
    uint32_t v = 0x80000000u;
    while (n--)
        v = (v >> 1) ^ (CRC32_POLY & (0u - (v & 1u)));
    return v;
}

static uint32_t bytewise(uint32_t reg, const uint8_t *p, size_t n)
{
    while (n--)
        reg = byte_table[(reg ^ *p++) & 0xFFu] ^ (reg >> 8);
    return reg;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BSS2_CRC32_FOLD 1

__attribute__((target("pclmul,sse2")))
static inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
    __m128i high = _mm_clmulepi64_si128(x, k, 0x00);  /* H times k's low half */
    __m128i low = _mm_clmulepi64_si128(x, k, 0x11);   /* L times k's high half */
    return _mm_xor_si128(_mm_xor_si128(high, low), next);
}

/* The register after n >= 64 bytes (reg: the register before them). */
__attribute__((target("pclmul,sse2")))
static uint32_t folded(uint32_t reg, const uint8_t *p, size_t n)
{
    const __m128i k512 = _mm_set_epi64x((long long)fold512[1], (long long)fold512[0]);
    const __m128i k128 = _mm_set_epi64x((long long)fold128[1], (long long)fold128[0]);
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
                               _mm_cvtsi32_si128((int)reg));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
        x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)p));
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    x0 = fold(fold(fold(x0, k128, x1), k128, x2), k128, x3);
    for (; n >= 16; p += 16, n -= 16)
        x0 = fold(x0, k128, _mm_loadu_si128((const __m128i *)p));
    uint8_t last[16];
    _mm_storeu_si128((__m128i *)last, x0);
    return bytewise(bytewise(0, last, 16), p, n);
}
#endif

__attribute__((constructor)) static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int b = 0; b < 8; ++b)
            c = (c >> 1) ^ (CRC32_POLY & (0u - (c & 1u)));
        byte_table[i] = c;
    }
    fold512[0] = (uint64_t)x_power(512 + 63) << 32;
    fold512[1] = (uint64_t)x_power(512 - 1) << 32;
    fold128[0] = (uint64_t)x_power(128 + 63) << 32;
    fold128[1] = (uint64_t)x_power(128 - 1) << 32;
#ifdef BSS2_CRC32_FOLD
    __builtin_cpu_init();
    accelerated = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
#endif
}

uint32_t bss2_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t reg = ~crc;
#ifdef BSS2_CRC32_FOLD
    if (accelerated && n >= 64)
        return ~folded(reg, p, n);
#endif
    return ~bytewise(reg, p, n);
}

int bss2_crc32_accelerated(void)
{
    return accelerated;
}
