/* Memory and string functions for PPU programs. zig's compiler_rt has its own, but they load
 * and store unaligned words, which raise an alignment exception on the PPU; these definitions
 * take precedence and touch words only at aligned addresses. */
#include <stdint.h>

#include "string.h"

/* True when both pointers and the count are multiples of the word size. */
static int word_aligned(const void *a, const void *b, size_t count)
{
    return (((uintptr_t)a | (uintptr_t)b | count) & 3u) == 0;
}

void *memcpy(void *destination, const void *source, size_t count)
{
    if (word_aligned(destination, source, count)) {
        uint32_t *d = destination;
        const uint32_t *s = source;
        for (size_t i = 0; i < count / 4; i++)
            d[i] = s[i];
    } else {
        unsigned char *d = destination;
        const unsigned char *s = source;
        for (size_t i = 0; i < count; i++)
            d[i] = s[i];
    }
    return destination;
}

void *memmove(void *destination, const void *source, size_t count)
{
    unsigned char *d = destination;
    const unsigned char *s = source;
    if (d <= s || d >= s + count)
        return memcpy(destination, source, count);
    /* overlapping with the destination above the source: copy from the end */
    while (count-- > 0)
        d[count] = s[count];
    return destination;
}

void *memset(void *destination, int value, size_t count)
{
    unsigned char *d = destination;
    uint32_t byte = (unsigned char)value;
    size_t i = 0;
    for (; i < count && ((uintptr_t)(d + i) & 3u) != 0; i++)
        d[i] = (unsigned char)byte;
    uint32_t word = byte * 0x01010101u;
    for (; i + 4 <= count; i += 4)
        *(uint32_t *)(d + i) = word;
    for (; i < count; i++)
        d[i] = (unsigned char)byte;
    return destination;
}

int memcmp(const void *a, const void *b, size_t count)
{
    const unsigned char *x = a;
    const unsigned char *y = b;
    for (size_t i = 0; i < count; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *text)
{
    size_t length = 0;
    while (text[length] != '\0')
        length++;
    return length;
}
