/* Indirect calls: an operation table of function pointers, and a generic sort taking a
 * comparator (insertion sort over byte-sized records, like qsort). */
#include <stddef.h>

#include "corpus.h"

typedef int32_t (*binary_op)(int32_t, int32_t);

/* wrapping arithmetic (through uint32_t: signed overflow is undefined in C) */
static int32_t op_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t op_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static int32_t op_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static int32_t op_max(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t op_xor(int32_t a, int32_t b) { return a ^ b; }

static const binary_op operations[] = {op_add, op_sub, op_mul, op_max, op_xor};

struct record { int16_t key; uint8_t tag; uint8_t pad; int32_t value; };

struct record records[48];

static void generic_sort(void *base, size_t count, size_t size,
                         int (*compare)(const void *, const void *))
{
    unsigned char *bytes = base;
    unsigned char temporary[16];
    for (size_t i = 1; i < count; i++) {
        for (size_t k = 0; k < size; k++)
            temporary[k] = bytes[i * size + k];
        size_t j = i;
        while (j > 0 && compare(bytes + (j - 1) * size, temporary) > 0) {
            for (size_t k = 0; k < size; k++)
                bytes[j * size + k] = bytes[(j - 1) * size + k];
            j--;
        }
        for (size_t k = 0; k < size; k++)
            bytes[j * size + k] = temporary[k];
    }
}

static int by_key(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_value_descending(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    return (x->value < y->value) - (x->value > y->value);
}

int start(void)
{
    uint32_t state = 31337;
    uint32_t hash = MIX_START;
    int32_t accumulator = 1;
    for (int i = 0; i < 100; i++) {
        binary_op op = operations[lcg_next(&state) % 5];
        accumulator = op(accumulator, (int32_t)(lcg_next(&state) >> 20) - 2048);
        hash = mix(hash, (uint32_t)accumulator);
    }
    for (int i = 0; i < 48; i++) {
        records[i].key = (int16_t)(lcg_next(&state) >> 16);
        records[i].tag = (uint8_t)i;
        records[i].value = (int32_t)lcg_next(&state);
    }
    int (*comparators[2])(const void *, const void *) = {by_key, by_value_descending};
    for (int c = 0; c < 2; c++) {
        generic_sort(records, 48, sizeof records[0], comparators[c]);
        for (int i = 0; i < 48; i++)
            hash = mix(hash, (uint32_t)records[i].tag);
    }
    return (int)hash;
}
