/* Compute-bound workload for bench/ppu_mips.py: CRC-32 over a buffer and an insertion sort of
 * pseudo-random words, ROUNDS times (set with -D ROUNDS=n). Returns a checksum so the work is
 * not optimised away and both emulators can be compared. */
#include <stdint.h>

#ifndef ROUNDS
#define ROUNDS 20
#endif
#define BUFFER_BYTES 2048
#define SORT_WORDS 256

static uint32_t crc_table[256];
static uint8_t buffer[BUFFER_BYTES];
static uint32_t words[SORT_WORDS];

static void make_crc_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32(const uint8_t *data, uint32_t length)
{
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < length; i++)
        c = crc_table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    return ~c;
}

static void insertion_sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

int start(void)
{
    uint32_t state = 12345u, sum = 0;
    make_crc_table();
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < BUFFER_BYTES; i++) {
            state = state * 1664525u + 1013904223u;
            buffer[i] = (uint8_t)(state >> 24);
        }
        sum ^= crc32(buffer, BUFFER_BYTES);
        for (int i = 0; i < SORT_WORDS; i++) {
            state = state * 1664525u + 1013904223u;
            words[i] = state;
        }
        insertion_sort(words, SORT_WORDS);
        sum += words[0] ^ words[SORT_WORDS / 2] ^ words[SORT_WORDS - 1];
    }
    return (int)sum;
}
