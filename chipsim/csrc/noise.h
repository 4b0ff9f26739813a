/* Counter-based Gaussian noise: the same (seed, neuron, index, stream) always gives the same bits. */
#ifndef BSS2_NOISE_H
#define BSS2_NOISE_H
#include <stdint.h>

enum { BSS2_STREAM_THRESHOLD = 0, BSS2_STREAM_JITTER = 1 };

double bss2_gauss(uint64_t seed, uint64_t neuron, uint64_t index, uint64_t stream);

#endif
