/* Shared by the corpus programs: every program's `int start(void)` folds its results into a
 * checksum with `mix` and returns it. The same sources compile natively (gcc, -funsigned-char
 * like the PPU's ABI) to give the expected checksums independently of any PPU emulator. */
#ifndef CORPUS_H
#define CORPUS_H

#include <stdint.h>

/* FNV-1a over the four bytes of a word, most significant first. */
static inline uint32_t mix(uint32_t hash, uint32_t value)
{
    for (int shift = 24; shift >= 0; shift -= 8) {
        hash ^= (value >> shift) & 0xffu;
        hash *= 16777619u;
    }
    return hash;
}

#define MIX_START 2166136261u

/* A small linear congruential generator for deterministic test data. */
static inline uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

#endif
