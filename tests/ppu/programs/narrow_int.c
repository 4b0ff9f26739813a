/* 8- and 16-bit arithmetic: wrap-around on narrowing, sign extension of int8_t/int16_t loads,
 * mixed signed/unsigned promotions, saturating helpers. */
#include "corpus.h"

int8_t bytes[64];
int16_t halves[64];
uint8_t saturated[64];

static uint8_t saturate_u8(int32_t x) { return x < 0 ? 0 : x > 255 ? 255 : (uint8_t)x; }

int start(void)
{
    uint32_t state = 777;
    uint32_t hash = MIX_START;
    for (int i = 0; i < 64; i++) {
        uint32_t r = lcg_next(&state);
        bytes[i] = (int8_t)(r >> 24);
        halves[i] = (int16_t)(r >> 8);
    }
    for (int i = 0; i < 64; i++) {
        int8_t a = bytes[i], b = bytes[(i * 7 + 3) % 64];
        int16_t h = halves[i], k = halves[(i * 5 + 1) % 64];
        int8_t byte_sum = (int8_t)(a + b);
        int16_t half_product = (int16_t)(h * k);
        uint16_t unsigned_half = (uint16_t)h;
        uint8_t unsigned_byte = (uint8_t)a;
        saturated[i] = saturate_u8(a * 3 + b);
        hash = mix(hash, (uint32_t)(int32_t)byte_sum);
        hash = mix(hash, (uint32_t)(int32_t)half_product);
        hash = mix(hash, (uint32_t)(unsigned_half >> 3) ^ (uint32_t)(h >> 3));
        hash = mix(hash, (uint32_t)(unsigned_byte * a));
        hash = mix(hash, (uint32_t)(int32_t)(int8_t)(h >> 4));
        hash = mix(hash, (uint32_t)((a < 0) + (unsigned_byte > 127) * 2 + (h < k) * 4));
        hash = mix(hash, saturated[i]);
    }
    return (int)hash;
}
